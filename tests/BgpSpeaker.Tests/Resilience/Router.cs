using System.Globalization;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>What the router under test is configured with (it is always passive, AS 64512, facing us as AS 4200000001).</summary>
internal sealed record RouterConfig
{
    /// <summary>Seconds; the session negotiates the smaller of this and ours (RFC 4271 §4.2).</summary>
    public ushort HoldTime { get; init; } = 9;

    /// <summary>TCP MD5 key (RFC 2385) or none.</summary>
    public string? Password { get; init; }
}

/// <summary>
/// A real router daemon in the lab's peer namespace, started, killed and restarted by PID (its PID
/// file), and asked what it received from us. Everything it reports is read from the daemon itself.
/// </summary>
internal abstract class Router(ResilienceLab lab, RouterConfig config)
{
    protected ResilienceLab Lab { get; } = lab;

    protected RouterConfig Config { get; } = config;

    public abstract string Name { get; }

    protected abstract string PidFile { get; }

    protected abstract string LogFile { get; }

    /// <summary>Starts the daemon (config written on the first start) and waits, bounded, until it listens on TCP 179.</summary>
    public void Start()
    {
        Launch();
        Assert.True(NetnsLab.WaitUntil(Listening, TimeSpan.FromSeconds(15)), $"{Name} does not listen on 179:\n{ReadLog()}");
    }

    protected abstract void Launch();

    public int Pid => int.Parse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture);

    /// <summary>A crash: SIGKILL, so the kernel closes its sockets without any NOTIFICATION; waits until the process is gone.</summary>
    public void Kill()
    {
        var pid = Pid;
        NetnsLab.Sh($"kill -KILL {pid}");
        Assert.True(NetnsLab.WaitUntil(() => NetnsLab.Run($"kill -0 {pid}").Code != 0, TimeSpan.FromSeconds(10)), $"{Name} (PID {pid}) survived SIGKILL");
    }

    /// <summary>Freezes the daemon (SIGSTOP): its sockets stay open, but it reads and sends nothing.</summary>
    public void Pause() => NetnsLab.Sh($"kill -STOP {Pid}");

    public void Resume() => NetnsLab.Sh($"kill -CONT {Pid}");

    public bool Listening() => NetnsLab.Run($"ip netns exec {Lab.Namespace} ss -Hltn sport = :179").Output.Contains(":179", StringComparison.Ordinal);

    /// <summary>How many routes of <paramref name="family"/> the router holds from us.</summary>
    public abstract int Count(Afi family);

    /// <summary>The router's view of the session, for failure messages.</summary>
    public abstract string Describe();

    public string ReadLog() => InteropScenario.ReadOrNone(LogFile);

    /// <summary>Waits (bounded) until <paramref name="session"/> is Established with this router.</summary>
    public void AssertEstablished(PeerSession session, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(session);
        Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, timeout),
            $"not Established with {Name}: {session.State}, {session.LastDown} ({session.LastConnectionError})\n{Describe()}");
    }

    /// <summary>Waits (bounded) until the router holds exactly <paramref name="v4"/> IPv4 and <paramref name="v6"/> IPv6 routes from us.</summary>
    public void AssertHolds(int v4, int v6, TimeSpan timeout, string when)
    {
        Assert.True(NetnsLab.WaitUntil(() => Count(Afi.IPv4) == v4 && Count(Afi.IPv6) == v6, timeout),
            $"{when}: {Name} holds {Count(Afi.IPv4)} IPv4 and {Count(Afi.IPv6)} IPv6 routes, expected {v4} and {v6}\n{Describe()}");
    }
}
