using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// One end-to-end lab: a <see cref="NetnsLab"/> under the <c>bgplbe-</c> namespace prefix (the
/// router in its peer namespace at 203.0.113.1, the daemon's node in its host namespace at
/// 203.0.113.2) and a scratch directory for the daemon's config and state file and the router's
/// files. Removed in all outcomes (stale namespaces of an earlier crash of the same lab first).
/// Needs root, iproute2 and the .NET host: without them it fails with what to install, it never skips.
/// </summary>
internal sealed class EndToEndLab : IDisposable
{
    private const string DefaultPrefix = "bgplbe";
    private readonly NetnsLab _net;

    /// <param name="prefix">Namespace prefix: suites of their own (the admin API's) use theirs, so stale clean-ups never cross.</param>
    public EndToEndLab(string name, string prefix = DefaultPrefix)
    {
        Require.Root();
        Require.Binaries("iproute2", "ip");
        _net = new NetnsLab(name, prefix);
        Dir = Directory.CreateTempSubdirectory($"{prefix}-{name}-").FullName;
    }

    public const string RouterAddress = NetnsLab.PeerV4;
    public const string NodeAddress = NetnsLab.HostV4;
    public const string RouterAddressV6 = NetnsLab.PeerV6;
    public const string NodeAddressV6 = NetnsLab.HostV6;

    /// <summary>The router's namespace.</summary>
    public string RouterNamespace => _net.Namespace;

    /// <summary>The daemon's namespace (the node).</summary>
    public string NodeNamespace => _net.HostNamespace;

    /// <summary>Scratch directory: the daemon's config and state, the router's config, log, sockets and PID files.</summary>
    public string Dir { get; }

    /// <summary>The daemon's configuration file; tests edit it to make the daemon reload.</summary>
    public string ConfigPath => Path.Combine(Dir, "bgplb.yaml");

    /// <summary>The daemon's allocation file, kept across its restarts.</summary>
    public string StatePath => Path.Combine(Dir, "state.json");

    /// <summary>Runs a command in the node's (the daemon's) namespace.</summary>
    public string Node(string command) => _net.Host(command);

    /// <summary>Runs a command in the router's namespace.</summary>
    public string Router(string command) => _net.Ns(command);

    /// <summary>Writes the daemon's configuration in place (as an editor would), which a running daemon picks up.</summary>
    public void WriteConfig(string yaml) => File.WriteAllText(ConfigPath, yaml);

    /// <summary>The daemon's admin socket: one per lab, so that daemons of tests running in parallel never meet at the default path.</summary>
    public string AdminSocket => Path.Combine(Dir, "admin", "admin.sock");

    public DaemonProcess StartDaemon(params string[] extraArguments) =>
        DaemonProcess.Start(NodeNamespace, ["--config", ConfigPath, "--state", StatePath, .. extraArguments.Contains("--admin-socket") ? [] : (string[])["--admin-socket", AdminSocket], .. extraArguments]);

    public void Dispose()
    {
        _net.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a daemon killed with the namespace may still be closing a file in it.
        }
    }
}
