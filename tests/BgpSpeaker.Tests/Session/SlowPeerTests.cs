using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>
/// Bounded output through the facade: one scripted peer on loopback stops reading (small socket
/// buffers on both ends) while another keeps reading. The reading peer gets everything promptly,
/// the speaker answers at once, no more UPDATEs are built for the stuck peer than its budget
/// holds, and once its output has not drained for the stall timeout it is dropped with a clear error.
/// </summary>
public sealed class SlowPeerTests
{
    private const int RouteCount = 50_000;
    private static readonly TimeSpan Bound = MessageSocket.Bound;

    private static readonly PeerOptions Options = new() { LocalAsn = 64512, PeerAsn = PeerAsn.Of(64513), RouterId = 0x7F000001, HoldTime = 0 };

    /// <summary>Accepts our connection, answers our OPEN (hold time 0: no keepalives to keep up with) and our KEEPALIVE.</summary>
    private static async Task<MessageSocket> EstablishAsync(TcpListener listener)
    {
        var peer = new MessageSocket(await listener.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
        Assert.IsType<OpenMessage>(await peer.ReceiveAsync());
        await peer.SendAsync(OpenMessage.Create(64513, 0, 0x7F000002, new FourOctetAsnCapability(64513)));
        await peer.SendAsync(KeepaliveMessage.Instance);
        return peer;
    }

    /// <summary>Reads UPDATEs until IPv4 End-of-RIB; the number of prefixes announced.</summary>
    private static async Task<int> ReceiveDumpAsync(MessageSocket peer)
    {
        var announced = 0;
        while (true)
        {
            var message = await peer.ReceiveAsync(skipKeepalives: true);
            var update = Assert.IsType<UpdateMessage>(message);
            if (update.IsEndOfRib(out _))
            {
                return announced;
            }
            announced += update.Nlri.Count;
        }
    }

    [Fact]
    public async Task A_peer_that_stops_reading_never_holds_up_another_and_is_dropped_with_cannot_keep_up()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var loggers = new CollectingLoggerFactory();
        await using var speaker = new BgpSpeaker(time, () => new Random(1), loggers);
        using var slowListener = new TcpListener(IPAddress.Loopback, 0);
        slowListener.Server.ReceiveBufferSize = 4096; // inherited by the accepted socket: the stuck peer takes little
        slowListener.Start();
        using var fastListener = new TcpListener(IPAddress.Loopback, 0);
        fastListener.Start();
        PeerEndpoint Endpoint(TcpListener listener) => new((IPEndPoint)listener.LocalEndpoint)
        {
            OutputBudget = PeerSession.MinOutputBudget,
            SocketFactory = family => new Socket(family, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4096 },
        };
        var routes = Enumerable.Range(0, RouteCount).Select(i => new Route(IpPrefix.Parse($"198.18.{i / 256}.{i % 256}/32"))).ToList();
        speaker.SetRoutes(routes);
        await speaker.AddOrUpdatePeerAsync("slow", Options, Endpoint(slowListener), passive: false, CancellationToken.None);
        await speaker.AddOrUpdatePeerAsync("fast", Options, Endpoint(fastListener), passive: false, CancellationToken.None);
        using var slow = await EstablishAsync(slowListener); // and never reads again
        using var fast = await EstablishAsync(fastListener);

        Assert.IsType<KeepaliveMessage>(await fast.ReceiveAsync());
        Assert.Equal(RouteCount, await ReceiveDumpAsync(fast));
        PeerStatus Status(string name) => speaker.Peers.Single(p => p.Name == name);
        Assert.Equal(BgpState.Established, Status("slow").State);

        // Backpressure: the stuck peer got no more UPDATEs built than its budget (64 KiB of some
        // 250 KB), the rest waits in its Adj-RIB-Out.
        Assert.True(Status("slow").UpdatesSent * 2 < Status("fast").UpdatesSent, $"slow {Status("slow").UpdatesSent}, fast {Status("fast").UpdatesSent} UPDATEs");

        // The speaker answers at once and the reading peer still gets changes while the other is stuck.
        var clock = Stopwatch.StartNew();
        speaker.SetRoutes(routes.Skip(1).ToList());
        Assert.Equal(2, speaker.Peers.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the facade took {clock.Elapsed}");
        var withdrawal = Assert.IsType<UpdateMessage>(await fast.ReceiveAsync(skipKeepalives: true));
        Assert.Equal(IpPrefix.Parse("198.18.0.0/32"), Assert.Single(withdrawal.Withdrawn).Prefix);

        // Hold time 0 negotiated: the stall timeout is 90 s. Once the peer's output has not drained for it, it goes.
        for (var i = 0; i < 10 && Status("slow").LastConnectionError is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(91));
            SpinWait.SpinUntil(() => Status("slow").LastConnectionError is not null, TimeSpan.FromSeconds(1));
        }
        var error = Status("slow").LastConnectionError;
        Assert.Matches(new Regex($@"^peer 127\.0\.0\.1:{((IPEndPoint)slowListener.LocalEndpoint).Port} cannot keep up: \d+ bytes unsent for 90 s$"), error);
        Assert.True(SpinWait.SpinUntil(() => Status("slow").LastDown is not null, Bound));
        Assert.Equal(DownReason.ConnectionFailed, Status("slow").LastDown!.Reason);
        Assert.Contains(loggers.Logger.Entries, e => e.Id.Id == 1007 && e.Level == LogLevel.Error);
        Assert.Equal(BgpState.Established, Status("fast").State);
    }
}
