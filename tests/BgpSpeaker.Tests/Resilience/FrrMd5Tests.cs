using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// TCP MD5 signatures (RFC 2385) against FRR bgpd, through the speaker facade as the daemon uses it:
/// a wrong password never gets past the TCP handshake (FRR's kernel drops our SYNs silently), and
/// the peer's status must say that the password is the likely cause; the right one establishes.
/// </summary>
[Trait("Category", "Interop")]
public sealed class FrrMd5Tests(ITestOutputHelper output)
{
    private const string Password = "bgplb-md5-key";

    [Fact]
    public async Task Frr_with_a_password_refuses_a_wrong_one_with_a_clear_status_and_accepts_the_right_one()
    {
        using var lab = new ResilienceLab("md5-frr");
        var router = (FrrRouter)Routers.Create("frr", lab, new RouterConfig { Password = Password });
        router.Start();
        await using var speaker = new BgpSpeaker(TimeProvider.System, () => new Random(1));
        speaker.SetRoutes(new InteropSetup(InteropCase.EbgpActiveIpv4).Routes());
        try
        {
            await speaker.AddOrUpdatePeerAsync("frr", ResilienceLab.Options(), lab.Endpoint("not-the-key"), passive: false, CancellationToken.None);
            Assert.True(NetnsLab.WaitUntil(() => speaker.Peers.Single().LastConnectionError is not null, TimeSpan.FromSeconds(15)), $"{speaker.Peers.Single()}");
            var wrong = speaker.Peers.Single();
            output.WriteLine($"wrong password: {wrong}");
            Assert.NotEqual(BgpState.Established, wrong.State);
            Assert.Contains("timed out", wrong.LastConnectionError, StringComparison.Ordinal);
            Assert.Contains("TCP MD5 is on: check that both ends have the same password", wrong.LastConnectionError, StringComparison.Ordinal);
            Assert.NotEqual("Established", router.Neighbor().GetProperty("bgpState").GetString());

            // The right key replaces the peer's settings (the old session ends, a new one starts).
            await speaker.AddOrUpdatePeerAsync("frr", ResilienceLab.Options(), lab.Endpoint(Password), passive: false, CancellationToken.None);
            Assert.True(NetnsLab.WaitUntil(() => speaker.Peers.Single().State == BgpState.Established, TimeSpan.FromSeconds(30)),
                $"{speaker.Peers.Single()}\n{router.Describe()}");
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "with the right password");
            output.WriteLine($"right password: {speaker.Peers.Single()}");
        }
        finally
        {
            output.WriteLine(router.ReadLog());
        }
    }
}
