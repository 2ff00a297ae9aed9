using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace Vad.Deploy.Tests;

/// <summary>
/// The deployment: ./vad k8s validate (chart vs k8s/, API schemas, scenarios) and invariants of k8s/ read
/// independently here with YamlDotNet.
/// </summary>
public sealed class ManifestTests
{
    // CONFIG-CONTRACT.md: the variables the silo honours; manifests set these and nothing else. The last five are the
    // silo's optional extras (silo/README.md): failover tuning and log format.
    private static readonly HashSet<string> Contract =
    [
        "VAD_CLUSTERING", "VAD_REDIS", "VAD_STORAGE", "VAD_ROLES", "VAD_GPU_DEVICES", "VAD_SERVICE_ID", "VAD_CLUSTER_ID",
        "VAD_SILO_PORT", "VAD_GATEWAY_PORT", "VAD_HTTP_PORT", "POD_NAME", "POD_IP", "VAD_MODEL", "VAD_SHUTDOWN_TIMEOUT_S",
        "VAD_TLS_CERT", "VAD_TLS_KEY", "VAD_TLS_CA", "VAD_DASHBOARD_USER", "VAD_DASHBOARD_PASSWORD",
        "VAD_MEMBERSHIP_PROBE_TIMEOUT_S", "VAD_MEMBERSHIP_MISSED_PROBES", "VAD_RESPONSE_TIMEOUT_S", "VAD_DIRECTORY_LEASE_S",
        "VAD_LOG_FORMAT",
    ];

    private static List<YamlMappingNode> SiloDeployments() =>
        Repo.Kustomize().Where(d => d.Kind() == "Deployment" && d.Str("spec", "template", "metadata", "labels", "vad.io/silo") == "true").ToList();

    private static YamlNode Container(YamlNode deployment) => deployment.Items("spec", "template", "spec", "containers").Single();

    private static Dictionary<string, YamlNode> Env(YamlNode container) =>
        container.Items("env").ToDictionary(e => e.Str("name")!, e => e);

    [Fact]
    public void VadK8sValidatePasses()
    {
        // first run installs Go + Debian's sprig/yaml libraries and the pinned npm packages, later runs take seconds
        var r = Repo.Run("bash", ["vad", "k8s", "validate"], TimeSpan.FromMinutes(8));
        Assert.True(r.ExitCode == 0, $"./vad k8s validate exited {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("k8s validate: all checks passed", r.StdOut);
        Assert.DoesNotContain("FAIL", r.StdOut);
        // it did compare the chart with k8s/ and run the scenarios, not just exit 0
        Assert.Contains("chart (defaults) vs k8s/", r.StdOut);
        Assert.Contains("valid against the Kubernetes API schemas", r.StdOut);
        Assert.Contains("city-scale.yaml", r.StdOut);
        Assert.Contains("a mutated Deployment is caught", r.StdOut);
        // the failover values render as env vars (scenario failover-tuning) and the schema refuses a probe timeout <= 0
        Assert.Contains("ok   failover-tuning.yaml", r.StdOut);
        Assert.Contains("rejects a zero or negative failover.membershipProbeTimeoutSeconds", r.StdOut);
    }

    [Fact]
    public void KustomizeRendersTheWholeDeployment()
    {
        var docs = Repo.Kustomize();
        var names = docs.Select(d => $"{d.Kind()}/{d.Name()}").ToHashSet();
        string[] expected =
        [
            "Namespace/vad", "ServiceAccount/vad", "StatefulSet/vad-redis", "Service/vad-redis", "Deployment/vad-silo-cpu",
            "Deployment/vad-silo-gpu", "Deployment/vad-trainer", "Service/vad-gateway", "Service/vad-silo", "Service/vad-http",
            "PodDisruptionBudget/vad-silo-cpu", "PodDisruptionBudget/vad-silo-gpu", "HorizontalPodAutoscaler/vad-silo-cpu",
        ];
        foreach (var n in expected)
        {
            Assert.True(names.Contains(n), $"kubectl kustomize k8s/ lacks {n}; has {string.Join(", ", names)}");
        }
        Assert.All(docs.Where(d => d.Kind() != "Namespace"), d => Assert.Equal("vad", d.Str("metadata", "namespace")));
        // secrets are referenced, never committed with values
        Assert.DoesNotContain(docs, d => d.Kind() == "Secret");
        var kustomization = Repo.Documents(File.ReadAllText(Repo.PathOf("k8s", "kustomization.yaml"))).Single();
        Assert.DoesNotContain(kustomization.Items("resources"), r => r.Str()!.Contains("secret", StringComparison.OrdinalIgnoreCase));
        Assert.True(File.Exists(Repo.PathOf("k8s", "secret.example.yaml")), "the Secrets the manifests reference are documented");
        // silos talk to the API server through nothing: no RBAC, no token
        Assert.DoesNotContain(docs, d => d.Kind() is "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding");
        Assert.Equal("false", docs.Single(d => d.Kind() == "ServiceAccount").Str("automountServiceAccountToken"));
    }

    [Fact]
    public void EverySiloHasHealthProbesAndGraceLongerThanShutdown()
    {
        var silos = SiloDeployments();
        Assert.Equal(3, silos.Count);
        foreach (var d in silos)
        {
            var c = Container(d);
            var env = Env(c);
            Assert.Equal("/health/ready", c.Str("readinessProbe", "httpGet", "path"));
            Assert.Equal("/health/live", c.Str("livenessProbe", "httpGet", "path"));
            Assert.Equal("/health/live", c.Str("startupProbe", "httpGet", "path"));
            var httpPort = c.Items("ports").Single(p => p.Str("name") == "http").Str("containerPort");
            Assert.Equal(env["VAD_HTTP_PORT"].Str("value"), httpPort);
            Assert.Equal("http", c.Str("readinessProbe", "httpGet", "port"));

            var grace = int.Parse(d.Str("spec", "template", "spec", "terminationGracePeriodSeconds")!);
            var shutdown = int.Parse(env["VAD_SHUTDOWN_TIMEOUT_S"].Str("value")!);
            Assert.True(grace > shutdown, $"{d.Name()}: terminationGracePeriodSeconds {grace} <= VAD_SHUTDOWN_TIMEOUT_S {shutdown}");
        }
    }

    [Fact]
    public void SilosAreConfiguredThroughTheContractOnly()
    {
        var clusterIds = new HashSet<string>();
        foreach (var d in SiloDeployments())
        {
            var env = Env(Container(d));
            foreach (var name in env.Keys)
            {
                Assert.True(Contract.Contains(name), $"{d.Name()} sets {name}, which is not in the configuration contract");
            }
            Assert.Equal("metadata.name", env["POD_NAME"].Str("valueFrom", "fieldRef", "fieldPath"));
            Assert.Equal("status.podIP", env["POD_IP"].Str("valueFrom", "fieldRef", "fieldPath"));
            Assert.Equal("Redis", env["VAD_CLUSTERING"].Str("value"));
            Assert.NotNull(env["VAD_REDIS"].Str("valueFrom", "secretKeyRef", "name"));
            Assert.Null(env["VAD_REDIS"].Str("value"));
            Assert.Equal("vad", env["VAD_SERVICE_ID"].Str("value"));
            clusterIds.Add(env["VAD_CLUSTER_ID"].Str("value")!);
            // TLS material comes from a Secret volume at the paths the variables name
            var cert = env["VAD_TLS_CERT"].Str("value")!;
            var mount = Container(d).Items("volumeMounts").Single(m => cert.StartsWith(m.Str("mountPath") + "/", StringComparison.Ordinal));
            var volume = d.Items("spec", "template", "spec", "volumes").Single(v => v.Str("name") == mount.Str("name"));
            Assert.NotNull(volume.Str("secret", "secretName"));
        }
        Assert.Single(clusterIds); // one cluster: every role joins the same ClusterId
        var roles = SiloDeployments().ToDictionary(d => d.Name(), d => Env(Container(d))["VAD_ROLES"].Str("value"));
        Assert.Equal("cpu", roles["vad-silo-cpu"]);
        Assert.Equal("gpu", roles["vad-silo-gpu"]);
        Assert.Equal("trainer", roles["vad-trainer"]);
    }

    [Fact]
    public void GpuSiloRequestsGpusAndLandsOnGpuNodes()
    {
        var gpu = SiloDeployments().Single(d => d.Name() == "vad-silo-gpu");
        var c = Container(gpu);
        var limit = int.Parse(c.Str("resources", "limits", "nvidia.com/gpu")!);
        Assert.True(limit >= 1);
        var devices = Env(c)["VAD_GPU_DEVICES"].Str("value")!.Split(',');
        Assert.Equal(limit, devices.Length);
        Assert.Contains(gpu.Items("spec", "template", "spec", "tolerations"), t => t.Str("key") == "nvidia.com/gpu");
        Assert.NotEmpty(((YamlMappingNode)gpu.At("spec", "template", "spec", "nodeSelector")!).Children);
        foreach (var other in SiloDeployments().Where(d => d.Name() != "vad-silo-gpu"))
        {
            Assert.Null(Container(other).Str("resources", "limits", "nvidia.com/gpu"));
        }
    }

    [Fact]
    public void CpuSilosAutoscaleAndDisruptionsAreBounded()
    {
        var docs = Repo.Kustomize();
        var hpa = docs.Single(d => d.Kind() == "HorizontalPodAutoscaler");
        Assert.Equal("autoscaling/v2", hpa.Str("apiVersion"));
        Assert.Equal("vad-silo-cpu", hpa.Str("spec", "scaleTargetRef", "name"));
        Assert.True(int.Parse(hpa.Str("spec", "minReplicas")!) >= 2, "at least two CPU silos so one can fail");
        var cpu = docs.Single(d => d.Kind() == "Deployment" && d.Name() == "vad-silo-cpu");
        Assert.True(cpu.At("spec", "replicas") is null, "the HPA owns the CPU silo count: the Deployment must not set replicas");
        foreach (var pdb in docs.Where(d => d.Kind() == "PodDisruptionBudget"))
        {
            var target = docs.Single(d => d.Kind() == "Deployment" && d.Name() == pdb.Name());
            var selector = (YamlMappingNode)pdb.At("spec", "selector", "matchLabels")!;
            foreach (var (k, v) in selector.Children)
            {
                Assert.Equal(((YamlScalarNode)v).Value, target.Str("spec", "template", "metadata", "labels", ((YamlScalarNode)k).Value!));
            }
        }
    }

    [Fact]
    public void DeploymentImagesAreTheOnesTheDockerfilesBuild()
    {
        var images = Repo.Kustomize().Where(d => d.Kind() == "Deployment")
            .ToDictionary(d => d.Name(), d => Container(d).Str("image")!.Split(':')[0]);
        Assert.Equal("vad-silo", images["vad-silo-cpu"]);
        Assert.Equal("vad-silo-gpu", images["vad-silo-gpu"]);
        Assert.Equal("vad-trainer", images["vad-trainer"]);
        foreach (var (image, dockerfile, target) in new (string, string, string?)[]
            { ("vad-silo", "Dockerfile", "silo"), ("vad-silo-gpu", "silo/Dockerfile.gpu", null), ("vad-trainer", "Dockerfile", "trainer") })
        {
            string text = File.ReadAllText(Repo.PathOf(dockerfile));
            Assert.Contains($"-t {image}:", text);
            if (target is not null)
            {
                Assert.Matches($@"--target {target}\s+-t {image}:", text);
                Assert.Contains(Stages(dockerfile), s => s.Name == target);
            }
        }
    }

    /// <summary>A Dockerfile's stages in order: the FROM line, its base (an image or an earlier stage), its name, and its
    /// instructions (comments and blank lines dropped, each line trimmed; continuation lines stay separate).</summary>
    private sealed record Stage(string From, string Base, string? Name, List<string> Lines);

    private static List<Stage> Stages(string dockerfile)
    {
        var stages = new List<Stage>();
        foreach (var l in File.ReadAllLines(Repo.PathOf(dockerfile)).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var from = Regex.Match(l, @"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$", RegexOptions.IgnoreCase);
            if (from.Success)
            {
                stages.Add(new(l, from.Groups[1].Value, from.Groups[2].Success ? from.Groups[2].Value : null, []));
            }
            else
            {
                Assert.True(stages.Count > 0, $"{dockerfile}: '{l}' before the first FROM");
                stages[^1].Lines.Add(l);
            }
        }
        return stages;
    }

    /// <summary>The stages an image is built from: the named one and the stages it derives FROM, base first.</summary>
    private static List<Stage> Chain(List<Stage> stages, Stage stage)
    {
        var chain = new List<Stage> { stage };
        // FROM names a stage defined earlier in the file, or else an image
        for (int i = stages.IndexOf(stage); i > 0;)
        {
            i = stages.FindLastIndex(i - 1, i, s => s.Name == chain[0].Base);
            if (i < 0) break;
            chain.Insert(0, stages[i]);
        }
        return chain;
    }

    // programs: "project -> destination" for each program the image holds, the entrypoint's first (in the WORKDIR, ./);
    // role: the VAD_ROLES the image sets last (null: none).
    [Theory]
    [InlineData("Dockerfile", "silo", "Vad.Silo.dll", "cpu", new[] { "silo/Vad.Silo/Vad.Silo.csproj -> ./" })]
    [InlineData("silo/Dockerfile.gpu", null, "Vad.Silo.dll", "gpu", new[] { "silo/Vad.Silo/Vad.Silo.csproj -> ./" })]
    [InlineData("Dockerfile", "trainer", "Vad.Silo.dll", "trainer", new[]
    {
        "silo/Vad.Silo/Vad.Silo.csproj -> ./", "trainer/Vad.Teachers/Vad.Teachers.csproj -> ./trainer/teachers/",
        "trainer/Vad.Student/Vad.Student.csproj -> ./trainer/student/",
    })]
    [InlineData("Dockerfile", "client", "Vad.Client.dll", null, new[] { "client/Vad.Client/Vad.Client.csproj -> ./" })]
    public void DockerfilesAreMultiStageNonRootAndPublishTheRightProgram(string dockerfile, string? target, string dll, string? role, string[] programs)
    {
        var stages = Stages(dockerfile);
        Assert.True(stages.Count >= 2, $"{dockerfile} is not multi-stage");
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", stages[0].From);

        // The image's stage: the target's (a Dockerfile of several images), or else the last; with the stages it derives FROM.
        var chain = Chain(stages, target is null ? stages[^1] : stages.Single(s => s.Name == target));
        var lines = chain.SelectMany(s => s.Lines).ToList();
        foreach (var (program, i) in programs.Select((p, i) => (p, i)))
        {
            var (project, destination) = (program.Split(" -> ")[0], program.Split(" -> ")[1]);
            Assert.True(File.Exists(Repo.PathOf(project)), $"{dockerfile} publishes {project}, which does not exist");
            if (i == 0)
            {
                Assert.Equal(Path.GetFileNameWithoutExtension(project) + ".dll", dll);
            }
            // published once, in some stage; the image copies that output folder from that stage or one derived from it
            var publish = stages.SelectMany(s => s.Lines.Select(l => (Stage: s, Match: Regex.Match(l, $@"dotnet publish {Regex.Escape(project)} .*-o (\S+)"))))
                .Where(p => p.Match.Success).ToList();
            Assert.True(publish.Count == 1, $"{dockerfile} does not publish {project} once");
            var (built, output) = (publish[0].Stage, publish[0].Match.Groups[1].Value);
            var sources = stages.Where(s => s.Name is not null && Chain(stages, s).Contains(built)).Select(s => s.Name).ToHashSet();
            Assert.True(lines.Any(l => Regex.Match(l, @"^COPY --from=(\S+) (\S+) (\S+)$") is { Success: true } m
                    && sources.Contains(m.Groups[1].Value) && m.Groups[2].Value == output && m.Groups[3].Value == destination),
                $"{dockerfile} {target ?? "(last stage)"} does not copy {output} (dotnet publish {project}) from {built.Name} to {destination}");
        }
        var user = lines.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotNull(user);
        Assert.DoesNotMatch(@"^USER\s+(root|0)(:|$)", user);
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{dll}\"]", lines.Last(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        var roles = Regex.Matches(string.Join('\n', lines), @"\bVAD_ROLES=(\S+)");
        Assert.Equal(role, roles.Count == 0 ? null : roles[^1].Groups[1].Value);
        // no secret baked in: no ENV/ARG of a password, key or token
        Assert.DoesNotContain(stages.SelectMany(s => s.Lines), l => Regex.IsMatch(l, @"^(ENV|ARG)\b.*(PASSWORD|SECRET|TOKEN|_KEY)\s*=", RegexOptions.IgnoreCase));
        if (dockerfile.EndsWith(".gpu", StringComparison.Ordinal))
        {
            Assert.Matches(@"^FROM nvidia/cuda:13\.[0-9.]+-cudnn-runtime-ubuntu", chain[0].From);
        }
        if (target == "trainer")
        {
            var text = string.Join('\n', lines);
            Assert.Contains("ffmpeg", text);
            Assert.Contains("libgtk-3-0", text);
            Assert.Contains("libgomp1", text);
        }
    }

    [Fact]
    public void DockerIgnoreKeepsBuildOutputsAndHistoryOut()
    {
        var entries = File.ReadAllLines(Repo.PathOf(".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();
        foreach (var e in new[] { "**/bin", "**/obj", ".git", "runs" })
        {
            Assert.Contains(e, entries);
        }
        // and keeps in what the images build from
        foreach (var needed in new[] { "grains", "silo", "client", "trainer", "models", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.DoesNotContain(needed, entries);
        }
    }
}
