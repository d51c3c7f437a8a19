using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>Connection attempts that get no answer, on a <see cref="FakeTimeProvider"/> against loopback.</summary>
public sealed class PeerSessionConnectTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A listener without a TCP MD5 key drops SYNs that carry one (RFC 2385 §2, Linux
    /// TCPMD5Unexpected), so the handshake never completes. The ConnectRetryTimer (5 s) fires long
    /// before the socket's own connect timeout (60 s here) and starts a new attempt: the abandoned
    /// one must still leave its reason behind, or a peer with a mismatched key shows no error at all.
    /// </summary>
    [Fact]
    public async Task An_attempt_abandoned_by_the_connect_retry_timer_is_reported_as_timed_out_with_the_md5_hint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new PeerOptions { LocalAsn = 64512, PeerAsn = PeerAsn.Of(64513), RouterId = 0x7F000001, ConnectRetryTime = TimeSpan.FromSeconds(5) };
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port))
        {
            Password = "only-on-our-side",
            ConnectTimeout = TimeSpan.FromSeconds(60),
        };
        await using var session = new PeerSession(options, endpoint, time, new Random(1));
        session.Start();
        Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Connect, Bound));
        Assert.Null(session.LastConnectionError);

        time.Advance(TimeSpan.FromSeconds(5)); // ConnectRetryTime jittered into [3.75, 5]
        Assert.True(SpinWait.SpinUntil(() => session.LastConnectionError is not null, Bound), $"{session.State}: no connection error");
        Assert.Matches(@"^connect to 127\.0\.0\.1:\d+ timed out after \d\.\d s \(TCP MD5 is on: check that both ends have the same password\)$", session.LastConnectionError);
        Assert.Equal(BgpState.Connect, session.State); // RFC 4271 §8.2.2 event 9: a new attempt, still in Connect
    }
}
