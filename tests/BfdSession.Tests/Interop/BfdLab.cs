using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BfdSession.Wire;
using Xunit;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// What every BFD interop test shares: a <see cref="NetnsLab"/> named with this project's prefix,
/// our <see cref="BfdSessions"/> with its sockets in the lab's host namespace, the peer key, and
/// a recorder of our state changes with their times.
/// </summary>
internal sealed class BfdLab : IAsyncDisposable
{
    public const string Prefix = "bgplbf";

    public BfdLab(string name)
    {
        Net = new NetnsLab(name, Prefix);
        Dir = Directory.CreateTempSubdirectory($"bgplbf-{name}-").FullName;
        Sessions = new BfdSessions(new BfdSessionsOptions
        {
            SocketFactory = family => Net.CreateSocket(family, SocketType.Dgram, ProtocolType.Udp),
        });
        Sessions.StateChanged += (_, change) =>
        {
            lock (Changes)
            {
                Changes.Add((Stopwatch.GetTimestamp(), change));
            }
        };
    }

    public NetnsLab Net { get; }

    public string Dir { get; }

    public BfdSessions Sessions { get; }

    /// <summary>Every state change we reported, with the Stopwatch timestamp of its delivery.</summary>
    public List<(long At, BfdStateChange Change)> Changes { get; } = [];

    /// <summary>Our single-hop IPv4 session to the router on the lab link.</summary>
    public static BfdPeer PeerV4 => new(IPAddress.Parse(NetnsLab.PeerV4), IPAddress.Parse(NetnsLab.HostV4)) { Interface = "h0" };

    public static BfdPeer PeerV6 => new(IPAddress.Parse(NetnsLab.PeerV6), IPAddress.Parse(NetnsLab.HostV6)) { Interface = "h0" };

    public static BfdProfile Profile(int intervalMs, int multiplier) => new()
    {
        TransmitInterval = TimeSpan.FromMilliseconds(intervalMs),
        ReceiveInterval = TimeSpan.FromMilliseconds(intervalMs),
        DetectMultiplier = multiplier,
    };

    public BfdSessionStatus Status(BfdPeer peer) => Sessions.Get(peer) ?? throw new InvalidOperationException($"no session {peer}");

    public bool WaitUp(BfdPeer peer, TimeSpan timeout) => NetnsLab.WaitUntil(() => Status(peer).State == BfdState.Up, timeout);

    public int DownsReported()
    {
        lock (Changes)
        {
            return Changes.Count(c => c.Change.From == BfdState.Up);
        }
    }

    /// <summary>Waits (bounded) for our first change to Down after <paramref name="since"/>; its delay in ms, or null.</summary>
    public double? WaitDownAfter(long since, TimeSpan timeout) => WaitDownChangeAfter(since, timeout)?.Ms;

    /// <summary>As <see cref="WaitDownAfter"/>, with the change itself (its diagnostic).</summary>
    public (double Ms, BfdStateChange Change)? WaitDownChangeAfter(long since, TimeSpan timeout)
    {
        (double, BfdStateChange)? found = null;
        NetnsLab.WaitUntil(() =>
        {
            lock (Changes)
            {
                var hit = Changes.FirstOrDefault(c => c.At >= since && c.Change.To == BfdState.Down);
                if (hit.Change is not null)
                {
                    found = (Stopwatch.GetElapsedTime(since, hit.At).TotalMilliseconds, hit.Change);
                }
            }
            return found is not null;
        }, timeout);
        return found;
    }

    public static void RequireBinaries(string package, params string[] binaries)
    {
        foreach (var binary in binaries)
        {
            Assert.True(NetnsLab.Run($"command -v {binary}").Code == 0,
                $"{binary} is not installed: run ./test.sh as root, it installs the {package} package");
        }
    }

    public static string ReadOrNone(string path) => File.Exists(path) ? File.ReadAllText(path) : $"(no {path})";

    public async ValueTask DisposeAsync()
    {
        await Sessions.DisposeAsync();
        Net.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
