using System.Globalization;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// A real router daemon (BIRD 2 or FRR) in the lab's router namespace, passive, with one neighbour:
/// the daemon's node. Everything a test asserts about routes is read from the router itself.
/// </summary>
internal abstract class Router(EndToEndLab lab, RouterSetup setup) : IDisposable
{
    protected EndToEndLab Lab { get; } = lab;

    protected RouterSetup Setup { get; } = setup;

    public abstract string Name { get; }

    /// <summary>The PID files of the router's processes, killed on dispose.</summary>
    protected abstract IEnumerable<string> PidFiles { get; }

    protected abstract string LogFile { get; }

    /// <summary>Starts the router and waits (bounded) until it listens on TCP 179.</summary>
    public void Start()
    {
        Launch();
        Assert.True(NetnsLab.WaitUntil(() => Lab.Router("ss -Hltn sport = :179").Contains(":179", StringComparison.Ordinal), TimeSpan.FromSeconds(15)),
            $"{Name} does not listen on 179\n{Diagnostics()}");
    }

    protected abstract void Launch();

    /// <summary>The prefixes the router holds from the daemon (both families), as <c>198.18.0.1/32</c>.</summary>
    public abstract IReadOnlySet<string> Prefixes();

    /// <summary>Our route to <paramref name="prefix"/> as the router holds it, or null.</summary>
    public abstract ReceivedRoute? Route(string prefix);

    /// <summary>Whether the router's IPv4 session with the daemon is Established.</summary>
    public abstract bool Established();

    /// <summary>The shutdown communication (RFC 9003) the router last received from the daemon on the IPv4 session, or null.</summary>
    public abstract string? ShutdownCommunication();

    /// <summary>The router's BFD session with the node's IPv4 address: its state ("Up", ...) and the interval of our packets it works with (ms); null when it has none.</summary>
    public abstract (string State, int IntervalMs)? BfdSession();

    /// <summary>What changes when the IPv4 BGP session flaps (BIRD: since when it is up; FRR: its connection counts).</summary>
    public abstract string BgpSessionIdentity();

    /// <summary>The router's view of the session and its log, for failure messages.</summary>
    public abstract string Diagnostics();

    protected string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : $"(no {LogFile})";

    /// <summary>
    /// Waits (bounded) until the router holds exactly <paramref name="expected"/> from us; gives up at
    /// once, with its output, when <paramref name="daemon"/> has exited.
    /// </summary>
    public void AssertHolds(IEnumerable<string> expected, DaemonProcess daemon, TimeSpan timeout, string when)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        var want = expected.ToHashSet(StringComparer.Ordinal);
        var held = NetnsLab.WaitUntil(() => Prefixes().SetEquals(want) || daemon.HasExited, timeout, pollMilliseconds: 100) && Prefixes().SetEquals(want);
        Assert.True(held,
            $"{when}: {Name} holds [{string.Join(", ", Prefixes().Order(StringComparer.Ordinal))}], expected [{string.Join(", ", want.Order(StringComparer.Ordinal))}]"
            + $"{(daemon.HasExited ? $"; the daemon exited with code {daemon.WaitForExit(TimeSpan.Zero)}" : "")}\n{Diagnostics()}\n{daemon.Output()}");
    }

    public void Dispose()
    {
        foreach (var pidFile in PidFiles.Where(File.Exists))
        {
            NetnsLab.Run($"kill {int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)}");
        }
    }
}
