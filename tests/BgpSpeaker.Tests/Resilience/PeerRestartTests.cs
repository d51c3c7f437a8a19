using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// The router process crashes (SIGKILL: its kernel closes the connection, no NOTIFICATION) and
/// comes back: our session goes down as a connection failure, retries with its back-off while
/// the router is away, reconnects once it listens again and announces everything again, which is
/// read back from the restarted router.
/// </summary>
[Trait("Category", "Interop")]
public sealed class PeerRestartTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    [InlineData("gobgp")]
    [InlineData("exabgp")]
    public async Task Router_killed_and_restarted_gets_every_route_again_after_a_backed_off_reconnect(string kind)
    {
        using var lab = new ResilienceLab($"rst-{kind}");
        var router = Routers.Create(kind, lab, new RouterConfig());
        router.Start();
        var options = ResilienceLab.Options();
        await using var session = lab.Session(options);
        var watch = new SessionWatch(session);
        try
        {
            session.SetRoutes(new InteropSetup(InteropCase.EbgpActiveIpv4).Routes());
            session.Start();
            router.AssertEstablished(session, TimeSpan.FromSeconds(30));
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "before the crash");

            var downsBefore = watch.DownCount;
            router.Kill();
            var (wentDown, down, error) = watch.NextDown(downsBefore, TimeSpan.FromSeconds(10), "router killed");
            output.WriteLine($"down: {down}; connection error: {error}");
            // RFC 4271 §8.2.2 Established + event 18 (TcpConnectionFails): no NOTIFICATION either way.
            Assert.Equal(DownReason.ConnectionFailed, down.Reason);
            Assert.True(down.WasEstablished);
            Assert.Null(down.Notification);
            // The dead process's kernel closed the connection (FIN, or RST when data was unread).
            Assert.Matches("connection closed by peer|reset by peer", error);

            // The router stays away 10 s: connects are refused, and the attempts back off
            // (1 s, 2 s, 4 s, 4 s: ConnectRetryTime doubled per failure, capped at 4 s, jittered by 0.75-1.0).
            await Task.Delay(TimeSpan.FromSeconds(10));
            var whileAway = watch.AttemptsSince(wentDown);
            output.WriteLine($"attempts after the session went down at {wentDown.TotalSeconds:0.00} s: {string.Join(", ", whileAway.Select(t => t.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))}");
            Assert.Contains("refused", session.LastConnectionError, StringComparison.OrdinalIgnoreCase);
            Assert.True(whileAway.Count >= 3, $"only {whileAway.Count} attempts in 10 s");
            Assert.True(whileAway[0] - wentDown >= 0.75 * options.ConnectRetryTime, $"first retry {whileAway[0] - wentDown} after the crash");
            Assert.True(whileAway[1] - whileAway[0] >= 0.75 * 2 * options.ConnectRetryTime, $"second gap {whileAway[1] - whileAway[0]}");
            Assert.True(whileAway[2] - whileAway[1] >= 0.75 * options.MaxConnectRetryTime, $"third gap {whileAway[2] - whileAway[1]}");

            router.Start();
            var back = watch.Now;
            // The next attempt comes within the capped back-off (4 s); slack for a loaded machine.
            router.AssertEstablished(session, options.MaxConnectRetryTime + TimeSpan.FromSeconds(10));
            output.WriteLine($"re-established {(watch.Now - back).TotalSeconds:0.00} s after the router listened again");
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "after the router's restart");
        }
        finally
        {
            output.WriteLine(router.ReadLog());
        }
    }
}
