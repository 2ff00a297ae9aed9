# syntax=docker/dockerfile:1
# The CPU images, one target each, on a shared build. Build from the repository root:
#   docker build --target silo    -t vad-silo:0.1.0    .
#   docker build --target trainer -t vad-trainer:0.1.0 .
#   docker build --target client  -t vad-client:0.1.0  .
#   docker run --rm -e VAD_CLUSTERING=Redis -e VAD_REDIS=... vad-client:0.1.0 cameras
# silo: CPU silo: camera grains, gateways, and CPU inference when no GPU silo is up (Vad.Silo with VAD_ROLES, default cpu here).
# trainer: trainer silo: the silo program with VAD_ROLES=trainer (TrainerGrain: teacher scoring, distillation, model
#   registration and roll-out), plus the Vad.Teachers and Vad.Student programs the training jobs run. TorchSharp
#   (libtorch CPU) and OpenCvSharp (needs GTK 3) are in this image only.
# client: the cluster client CLI (ingest, cameras, alerts, watch, status, bench-cluster).
# (The GPU silo has its own base image: silo/Dockerfile.gpu.)
# Configuration comes from the environment at run time (CONFIG-CONTRACT.md); the images hold no secret.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The whole source tree (.dockerignore keeps out bin/obj, tests, k8s, helm, .git): project references may cross
# folders, so no hand-kept list of project files. The NuGet cache mount keeps rebuilds fast. Vad.Client references
# Vad.Silo, so publishing both costs one build; every target reuses this stage from the cache.
COPY . .
RUN --mount=type=cache,id=vad-nuget,target=/root/.nuget/packages \
    dotnet publish silo/Vad.Silo/Vad.Silo.csproj -c Release -o /out/silo -p:UseAppHost=false \
 && dotnet publish client/Vad.Client/Vad.Client.csproj -c Release -o /out/client -p:UseAppHost=false

# The trainer's two programs, on top of the shared build (its silo comes from /out/silo there).
FROM build AS trainer-build
RUN --mount=type=cache,id=vad-nuget,target=/root/.nuget/packages \
    dotnet publish trainer/Vad.Teachers/Vad.Teachers.csproj -c Release -o /out/teachers -p:UseAppHost=false \
 && dotnet publish trainer/Vad.Student/Vad.Student.csproj -c Release -o /out/student -p:UseAppHost=false

# Vad.Client references the silo project (Web SDK), so both run on the ASP.NET Core runtime image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# ffmpeg decodes the video files and streams (the client's ingest, silo-side camera sources: files, RTSP; the
# trainer's decoding); ca-certificates for TLS to an external Redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1

FROM runtime AS client
COPY --from=build /out/client ./
USER $APP_UID
ENTRYPOINT ["dotnet", "Vad.Client.dll"]

# The silo program, what the silo and trainer targets share; they differ in VAD_ROLES and what they add.
FROM runtime AS silo-base
COPY --from=build /out/silo ./
# the student model shipped in the repository (ONNX + manifest); newer versions come from the model registry
COPY models/ ./models/
ENV VAD_MODEL=/app/models/ped2/student.onnx
EXPOSE 11111 30000 8080
# the image's non-root "app" user (UID 1654); the Kubernetes manifests run as the same UID
USER $APP_UID
ENTRYPOINT ["dotnet", "Vad.Silo.dll"]

FROM silo-base AS trainer
USER root
# libgtk-3 for OpenCvSharp's official runtime (Ubuntu 24.04 names it libgtk-3-0t64), libgomp1 for the OpenMP runtime
# libtorch links against (ffmpeg, for decoding, is in the runtime stage). Ubuntu 24.04's libstdc++ has GLIBCXX_3.4.32,
# so TorchSharp loads without the Debian 12 patch (PLATFORM-NOTES.md).
RUN apt-get update \
 && (apt-get install -y --no-install-recommends libgtk-3-0t64 || apt-get install -y --no-install-recommends libgtk-3-0) \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=trainer-build /out/teachers ./trainer/teachers/
COPY --from=trainer-build /out/student ./trainer/student/
# no DOTNET_gcServer=1 (the silo target's): the trainer image never set it, and the training jobs' processes inherit
# the environment
ENV VAD_ROLES=trainer
USER $APP_UID

# Last, so a build without --target is the silo.
FROM silo-base AS silo
ENV VAD_ROLES=cpu \
    DOTNET_gcServer=1
