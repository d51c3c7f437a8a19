using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// <c>bgplbctl drain</c> as BIRD sees it (RFC 8326): first our routes carry GRACEFUL_SHUTDOWN and
/// LOCAL_PREF 0, then they are withdrawn; <c>undrain</c> brings them back as before; a restart keeps
/// the node drained.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DrainTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = AdminLab.Bound;

    /// <summary>Long enough to see the marked routes at BIRD on a loaded machine, short for a test.</summary>
    private const int DrainWaitSeconds = 8;

    [Fact]
    public void Drain_marks_the_routes_with_graceful_shutdown_and_local_pref_0_then_withdraws_them_and_undrain_restores_them()
    {
        using var admin = AdminLab.Start("drain", "--drain-wait", DrainWaitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (lab, router, daemon) = (admin.Lab, admin.Router, admin.Daemon);
        try
        {

            var draining = CtlProcess.Json(lab, "drain");
            Assert.Equal("GracefulShutdown", draining.GetProperty("phase").GetString());
            Assert.True(draining.TryGetProperty("withdrawAt", out _), draining.ToString());
            // RFC 8326 §4: GRACEFUL_SHUTDOWN on every route, and LOCAL_PREF 0 towards this iBGP peer.
            Assert.True(NetnsLab.WaitUntil(() => AdminLab.TwoVips.All(p => router.Route(p) is { } r && r.Communities.Contains("65535:0") && r.LocalPref == 0), TimeSpan.FromSeconds(DrainWaitSeconds - 2), pollMilliseconds: 100),
                $"BIRD does not hold our routes with 65535:0 and local-pref 0: {string.Join("; ", AdminLab.TwoVips.Select(p => $"{p}: {router.Route(p)}"))}\n{daemon.Output()}");
            Assert.Contains("65000:100", router.Route(AdminLab.TwoVips[0])!.Communities); // the advertisement's own stay
            var vip = CtlProcess.Json(lab, "vips").GetProperty("vips")[0].GetProperty("peers")[0];
            Assert.True(vip.GetProperty("advertised").GetBoolean());
            Assert.StartsWith("draining: GRACEFUL_SHUTDOWN", vip.GetProperty("reason").GetString(), StringComparison.Ordinal);

            // Then the withdrawals.
            router.AssertHolds([], daemon, Bound, "after the drain wait");
            Assert.Equal("Withdrawn", CtlProcess.Json(lab, "drain", "--status").GetProperty("phase").GetString());
            var withdrawn = CtlProcess.Json(lab, "vips").GetProperty("vips")[0].GetProperty("peers")[0];
            Assert.False(withdrawn.GetProperty("advertised").GetBoolean());
            Assert.Equal("draining: withdrawn", withdrawn.GetProperty("reason").GetString());
            Assert.Equal("Established", CtlProcess.Json(lab, "peers").GetProperty("peers")[0].GetProperty("state").GetString());

            var serving = CtlProcess.Json(lab, "undrain");
            Assert.Equal("Serving", serving.GetProperty("phase").GetString());
            router.AssertHolds(AdminLab.TwoVips, daemon, Bound, "after undrain");
            Assert.True(NetnsLab.WaitUntil(() => AdminLab.TwoVips.All(p => router.Route(p) is { } r && !r.Communities.Contains("65535:0") && r.LocalPref == 250), Bound),
                $"after undrain BIRD still holds marked routes: {router.Route(AdminLab.TwoVips[0])}");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    [Fact]
    public void A_drained_node_stays_drained_across_a_restart_until_undrained()
    {
        using var admin = AdminLab.Start("drainkeep", "--drain-wait", "0");
        var (lab, router, first) = (admin.Lab, admin.Router, admin.Daemon);
        try
        {
            Assert.True(CtlProcess.At(lab, "drain").Code == 0);
            router.AssertHolds([], first, Bound, "after drain");
            Assert.Equal(0, first.Terminate(TimeSpan.FromSeconds(15)));
        }
        finally
        {
            output.WriteLine(first.Output());
        }

        using var second = lab.StartDaemon("--drain-wait", "0");
        try
        {
            AdminLab.AwaitSocket(lab, second);
            Assert.True(NetnsLab.WaitUntil(() => router.Established(), Bound), $"no session after the restart\n{router.Diagnostics()}\n{second.Output()}");
            Assert.Equal("Withdrawn", CtlProcess.Json(lab, "drain", "--status").GetProperty("phase").GetString());
            // Established and nothing announced: give the daemon time to (wrongly) announce before judging.
            Thread.Sleep(TimeSpan.FromSeconds(3));
            Assert.Empty(router.Prefixes());
            Assert.True(CtlProcess.At(lab, "undrain").Code == 0);
            router.AssertHolds(AdminLab.TwoVips, second, Bound, "after undrain");
        }
        finally
        {
            output.WriteLine(second.Output());
        }
    }
}
