namespace Vad.Core.Cli;

/// <summary>
/// A small POSIX-style argument reader shared by every `./vad` program: positionals, `--name value`,
/// `--name=value` and boolean `--flag`. Unknown options are reported, never silently ignored.
/// </summary>
public sealed class CommandArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags;

    public IReadOnlyList<string> Positionals { get; }

    /// <param name="args">Raw arguments.</param>
    /// <param name="flags">Option names (without dashes) that take no value.</param>
    public CommandArgs(IEnumerable<string> args, params string[] flags)
    {
        _flags = new HashSet<string>(flags, StringComparer.Ordinal);
        var positionals = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a == "--")
            {
                positionals.AddRange(list.Skip(i + 1));
                break;
            }
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                else if (!_flags.Contains(name))
                {
                    if (i + 1 >= list.Count)
                        throw new CommandArgsException($"option --{name} needs a value");
                    // An option as the value means a value is missing (or a flag was not declared as one): taking it
                    // would silently drop the option that follows, e.g. "--mirror --batch 32" training at batch 64.
                    if (list[i + 1].StartsWith("--", StringComparison.Ordinal) && list[i + 1].Length > 2)
                        throw new CommandArgsException($"option --{name} needs a value, got the option {list[i + 1]}");
                    value = list[++i];
                }
                if (!_options.TryGetValue(name, out var values))
                    _options[name] = values = new List<string>();
                values.Add(value ?? "true");
            }
            else
            {
                positionals.Add(a);
            }
        }
        Positionals = positionals;
    }

    public bool Has(string name) { _consumed.Add(name); return _options.ContainsKey(name); }

    public bool Flag(string name)
    {
        // A flag the command did not declare would have taken the next argument as its value.
        if (!_flags.Contains(name))
            throw new InvalidOperationException($"--{name} is read as a flag but the command did not declare it as one (CommandArgs flags)");
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        return v[^1] is not ("false" or "0" or "no");
    }

    public string? Get(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var v) ? v[^1] : null;
    }

    public IReadOnlyList<string> GetAll(string name)
    {
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var v)) return Array.Empty<string>();
        // Accept both repeated options and comma/space separated lists.
        return v.SelectMany(s => s.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    public string Require(string name) =>
        Get(name) ?? throw new CommandArgsException($"missing required option --{name}");

    public string GetOr(string name, string fallback) => Get(name) ?? fallback;

    /// <summary>A yes/no option: null when absent, true for "yes" or "true", false otherwise.</summary>
    public bool? GetYesNo(string name) => Get(name) is { } s ? s is "yes" or "true" : null;

    public int GetInt(string name, int fallback)
    {
        string? s = Get(name);
        if (s is null) return fallback;
        return int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int v)
            ? v : throw new CommandArgsException($"--{name} expects an integer, got '{s}'");
    }

    public double GetDouble(string name, double fallback)
    {
        string? s = Get(name);
        if (s is null) return fallback;
        return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)
            ? v : throw new CommandArgsException($"--{name} expects a number, got '{s}'");
    }

    /// <summary>Throws when an option was given that no code asked for (call after reading all options).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_consumed.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new CommandArgsException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
    }
}

public sealed class CommandArgsException(string message) : Exception(message);
