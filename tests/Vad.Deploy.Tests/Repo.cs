using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Vad.Deploy.Tests;

/// <summary>Locating the repository, running its tools and reading their YAML.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")) && File.Exists(Path.Combine(dir.FullName, "vad")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"repository root (Cluster.sln + vad) not found above {AppContext.BaseDirectory}");
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' is required on PATH for this test and could not be started: {e.Message}", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
            }
            return new Result(p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>All documents of a multi-document YAML text, as mapping nodes.</summary>
    public static List<YamlMappingNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static readonly Lazy<List<YamlMappingNode>> KustomizeOutput = new(() =>
    {
        var r = Run("kubectl", ["kustomize", "k8s/"], TimeSpan.FromMinutes(1));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize k8s/ failed ({r.ExitCode}): {r.StdErr}");
        }
        return Documents(r.StdOut);
    });

    public static List<YamlMappingNode> Kustomize() => KustomizeOutput.Value;
}

/// <summary>Path navigation over YamlDotNet's representation model.</summary>
internal static class YamlPath
{
    public static YamlNode? At(this YamlNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                node = child;
            }
            else if (node is YamlSequenceNode s && int.TryParse(key, out var i) && i < s.Children.Count)
            {
                node = s.Children[i];
            }
            else
            {
                return null;
            }
        }
        return node;
    }

    public static string? Str(this YamlNode? node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode? node, params string[] path) =>
        node.At(path) is YamlSequenceNode s ? s.Children : [];

    public static string Kind(this YamlNode doc) => doc.Str("kind") ?? "";

    public static string Name(this YamlNode doc) => doc.Str("metadata", "name") ?? "";
}
