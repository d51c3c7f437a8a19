using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Fsm;

/// <summary>
/// An FSM started passively for an incoming connection (RFC 4271 §8) that won a collision is
/// adopted for the peering: its later automatic restart goes as the peer is configured.
/// </summary>
public sealed class AdoptTests
{
    private static PeerFsm IncomingFsmInOpenSent()
    {
        var fsm = new PeerFsm(FsmTableTests.Options, new Random(1));
        fsm.Handle(new StartRequested(Automatic: true, Passive: true));
        fsm.Handle(new TcpConnected(Outbound: false));
        Assert.Equal(BgpState.OpenSent, fsm.State);
        return fsm;
    }

    private static Transition FailAndRestart(PeerFsm fsm)
    {
        fsm.Handle(new NotificationReceived(NotificationMessage.Cease(CeaseSubcode.AdministrativeReset)));
        Assert.Equal(BgpState.Idle, fsm.State);
        return fsm.Handle(new TimerExpired(BgpTimer.IdleHold));
    }

    [Fact]
    public void Adopted_for_an_active_peer_it_restarts_by_connecting()
    {
        var fsm = IncomingFsmInOpenSent();
        fsm.Adopt(passive: false);
        var restart = FailAndRestart(fsm);
        Assert.Equal(BgpState.Connect, restart.To);
        Assert.Contains(InitiateConnection.Instance, restart.Actions);
    }

    [Fact]
    public void Not_adopted_it_restarts_as_it_was_started_listening()
    {
        var restart = FailAndRestart(IncomingFsmInOpenSent());
        Assert.Equal(BgpState.Active, restart.To);
        Assert.Contains(ListenForConnection.Instance, restart.Actions);
    }

    [Fact]
    public void An_fsm_never_started_cannot_be_adopted() =>
        Assert.Throws<InvalidOperationException>(() => new PeerFsm(FsmTableTests.Options, new Random(1)).Adopt(passive: false));
}
