# syntax=docker/dockerfile:1
# The CPU images, one target each, on a shared build. Build from the repository root:
#   docker build --target silo   -t vad-silo:0.1.0   .
#   docker build --target client -t vad-client:0.1.0 .
#   docker run --rm -e VAD_CLUSTERING=Redis -e VAD_REDIS=... vad-client:0.1.0 cameras
# silo: CPU silo: camera grains, gateways, and CPU inference when no GPU silo is up (Vad.Silo with VAD_ROLES, default cpu here).
# client: the cluster client CLI (ingest, cameras, alerts, watch, status, bench-cluster).
# Configuration comes from the environment at run time (CONFIG-CONTRACT.md); the images hold no secret.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The whole source tree (.dockerignore keeps out bin/obj, tests, k8s, helm, .git): project references may cross
# folders, so no hand-kept list of project files. The NuGet cache mount keeps rebuilds fast. Vad.Client references
# Vad.Silo, so publishing both costs one build; either target reuses this stage from the cache.
COPY . .
RUN --mount=type=cache,id=vad-nuget,target=/root/.nuget/packages \
    dotnet publish silo/Vad.Silo/Vad.Silo.csproj -c Release -o /out/silo -p:UseAppHost=false \
 && dotnet publish client/Vad.Client/Vad.Client.csproj -c Release -o /out/client -p:UseAppHost=false

# Vad.Client references the silo project (Web SDK), so both run on the ASP.NET Core runtime image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# ffmpeg decodes the video files and streams (the client's ingest, silo-side camera sources: files, RTSP);
# ca-certificates for TLS to an external Redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1

FROM runtime AS client
COPY --from=build /out/client ./
USER $APP_UID
ENTRYPOINT ["dotnet", "Vad.Client.dll"]

# Last, so a build without --target is the silo.
FROM runtime AS silo
COPY --from=build /out/silo ./
# the student model shipped in the repository (ONNX + manifest); newer versions come from the model registry
COPY models/ ./models/
ENV VAD_ROLES=cpu \
    VAD_MODEL=/app/models/ped2/student.onnx \
    DOTNET_gcServer=1
EXPOSE 11111 30000 8080
# the image's non-root "app" user (UID 1654); the Kubernetes manifests run as the same UID
USER $APP_UID
ENTRYPOINT ["dotnet", "Vad.Silo.dll"]
