namespace BgpLb.L2Fallback.Tests.Lab;

/// <summary>
/// The lab node (tests/L2Fallback.LabNode) running in a node namespace as its own process, so a
/// test can SIGKILL it like a crashed daemon. Its event lines are collected as they come.
/// </summary>
internal sealed class LabNodeProcess : IDisposable
{
    private readonly LineProcess _process;

    public LabNodeProcess(L2Lab lab, string node, IEnumerable<string> nodes, string key, IEnumerable<string> services)
    {
        Name = node;
        var dll = Path.Combine(AppContext.BaseDirectory, "BgpLb.L2Fallback.LabNode.dll");
        var arguments = new List<string> { "netns", "exec", lab.Ns(node), "dotnet", dll, "--node", node, "--listen", $"{L2Lab.V4(node)}:7946", "--key", key };
        foreach (var member in nodes)
        {
            arguments.AddRange(["--member", $"{member}={L2Lab.V4(member)}:7946"]);
        }
        foreach (var service in services)
        {
            arguments.AddRange(["--vip", service]);
        }
        // `ip netns exec` execs dotnet, so this process is the node itself.
        _process = new LineProcess("ip", arguments);
    }

    public string Name { get; }

    public List<string> Lines => _process.Lines;

    /// <summary>The VIPs of the last "owned" line (empty before the first).</summary>
    public HashSet<string> Owned =>
        Lines.LastOrDefault(l => l.StartsWith("owned", StringComparison.Ordinal)) is { } line
            ? [.. line[5..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : [];

    public bool Ready => Lines.Contains("ready");

    /// <summary>SIGKILL, as a crashing daemon.</summary>
    public void Kill() => _process.Kill();

    public string Describe() => $"{Name}:\n  " + string.Join("\n  ", Lines);

    public void Dispose() => _process.Dispose();
}
