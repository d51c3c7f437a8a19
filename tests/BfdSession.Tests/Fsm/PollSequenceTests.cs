using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Tests.Support;
using BgpLb.BfdSession.Wire;
using Xunit;

namespace BgpLb.BfdSession.Tests.Fsm;

/// <summary>RFC 5880 §6.5 Poll Sequences and the §6.8.3 rules on when changed intervals take effect.</summary>
public sealed class PollSequenceTests
{
    private static BfdFsm UpFsm(int txMs = 50, int rxMs = 50, byte multiplier = 3)
    {
        var fsm = new BfdFsm(SessionTimingTests.Params(txMs, rxMs, multiplier), 0xABCD, new Random(3));
        fsm.Receive(Peer(BfdState.Init), []);
        Assert.Equal(BfdState.Up, fsm.State);
        fsm.Receive(Peer(BfdState.Up, final: true), []);
        Assert.False(fsm.PollActive);
        return fsm;
    }

    private static BfdControlPacket Peer(BfdState state, bool final = false, bool poll = false) => new()
    {
        Version = 1,
        State = state,
        Final = final,
        Poll = poll,
        DetectMultiplier = 3,
        Length = 24,
        MyDiscriminator = 0x1234,
        YourDiscriminator = 0xABCD,
        DesiredMinTxInterval = 50_000,
        RequiredMinRxInterval = 50_000,
    };

    [Fact]
    public void Reaching_up_polls_for_the_drop_from_the_slow_rate()
    {
        var fsm = new BfdFsm(SessionTimingTests.Params(50, 50, 3), 0xABCD, new Random(3));
        Assert.Equal(BfdFsm.SlowTxInterval, fsm.NextPacket(false).DesiredMinTxInterval);
        var reaction = fsm.Receive(Peer(BfdState.Init), []);
        Assert.True(reaction.Has(BfdReactionFlags.PollStarted));
        var packet = fsm.NextPacket(false);
        Assert.True(packet.Poll);
        Assert.Equal(50_000u, packet.DesiredMinTxInterval);
        // A decrease applies at once (§6.8.3 holds back only increases).
        Assert.Equal(TimeSpan.FromMilliseconds(50), fsm.TransmitInterval);
        Assert.True(fsm.Receive(Peer(BfdState.Up, final: true), []).Has(BfdReactionFlags.PollCompleted));
        Assert.False(fsm.NextPacket(false).Poll);
    }

    [Fact]
    public void A_larger_transmit_interval_takes_effect_only_when_the_final_arrives()
    {
        var fsm = UpFsm();
        var reaction = fsm.ChangeParameters(SessionTimingTests.Params(200, 50, 3));
        Assert.True(reaction.Has(BfdReactionFlags.PollStarted));
        Assert.Equal(BfdState.Up, fsm.State);
        var packet = fsm.NextPacket(false);
        Assert.True(packet.Poll);
        Assert.Equal(200_000u, packet.DesiredMinTxInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), fsm.TransmitInterval);
        fsm.Receive(Peer(BfdState.Up), []);
        Assert.Equal(TimeSpan.FromMilliseconds(50), fsm.TransmitInterval);
        fsm.Receive(Peer(BfdState.Up, final: true), []);
        Assert.Equal(TimeSpan.FromMilliseconds(200), fsm.TransmitInterval);
        Assert.False(fsm.PollActive);
    }

    [Fact]
    public void A_smaller_receive_interval_counts_for_detection_only_when_the_final_arrives()
    {
        var fsm = UpFsm(rxMs: 200);
        fsm.Receive(Peer(BfdState.Up), []);
        Assert.Equal(TimeSpan.FromMilliseconds(600), fsm.DetectionTime);
        fsm.ChangeParameters(SessionTimingTests.Params(50, 50, 3));
        Assert.Equal(50_000u, fsm.NextPacket(false).RequiredMinRxInterval);
        fsm.Receive(Peer(BfdState.Up), []);
        Assert.Equal(TimeSpan.FromMilliseconds(600), fsm.DetectionTime);
        fsm.Receive(Peer(BfdState.Up, final: true), []);
        Assert.Equal(TimeSpan.FromMilliseconds(150), fsm.DetectionTime);
    }

    [Fact]
    public void A_larger_receive_interval_and_a_smaller_transmit_interval_apply_at_once()
    {
        var fsm = UpFsm(txMs: 100, rxMs: 50);
        fsm.ChangeParameters(SessionTimingTests.Params(50, 100, 3));
        fsm.Receive(Peer(BfdState.Up), []);
        Assert.Equal(TimeSpan.FromMilliseconds(50), fsm.TransmitInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(300), fsm.DetectionTime);
        Assert.True(fsm.PollActive);
    }

    [Fact]
    public void A_change_during_a_poll_is_polled_for_again_after_the_final()
    {
        var fsm = UpFsm();
        fsm.ChangeParameters(SessionTimingTests.Params(100, 50, 3));
        Assert.False(fsm.ChangeParameters(SessionTimingTests.Params(300, 50, 3)).Has(BfdReactionFlags.PollStarted));
        var first = fsm.Receive(Peer(BfdState.Up, final: true), []);
        Assert.True(first.Has(BfdReactionFlags.PollStarted));
        Assert.True(fsm.PollActive);
        // The hold on the increase is kept until the second Final.
        Assert.Equal(TimeSpan.FromMilliseconds(50), fsm.TransmitInterval);
        Assert.True(fsm.Receive(Peer(BfdState.Up, final: true), []).Has(BfdReactionFlags.PollCompleted));
        Assert.Equal(TimeSpan.FromMilliseconds(300), fsm.TransmitInterval);
    }

    [Fact]
    public void A_detect_multiplier_change_is_polled_for_and_sent_at_once()
    {
        var fsm = UpFsm();
        Assert.True(fsm.ChangeParameters(SessionTimingTests.Params(50, 50, 5)).Has(BfdReactionFlags.PollStarted));
        Assert.Equal(5, fsm.NextPacket(false).DetectMultiplier);
    }

    [Fact]
    public void Unchanged_parameters_start_no_poll()
    {
        var fsm = UpFsm();
        Assert.Equal(BfdReactionFlags.None, fsm.ChangeParameters(SessionTimingTests.Params(50, 50, 3)).Flags);
    }

    [Fact]
    public void Profile_changes_between_two_sessions_on_fake_time_never_flap_and_end_with_the_new_rates()
    {
        using var pair = new LinkedPair(SessionTimingTests.Params(50, 50, 3), SessionTimingTests.Params(50, 50, 3));
        pair.A.Start();
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BfdState.Up, pair.StateA);
        foreach (var (tx, rx, mult) in new[] { (300, 300, 5), (10, 10, 2), (1000, 20, 3), (50, 50, 3) })
        {
            pair.A.ChangeParameters(SessionTimingTests.Params(tx, rx, (byte)mult));
            pair.Advance(TimeSpan.FromSeconds(3));
            Assert.False(pair.A.Read(f => f.PollActive));
            Assert.Equal(TimeSpan.FromMilliseconds(Math.Max(tx, 50)), pair.A.Read(f => f.TransmitInterval));
            // B detects A after A's multiplier times max(B's Required Min RX, A's Desired Min TX) (§6.8.4).
            Assert.Equal(TimeSpan.FromMilliseconds(mult * Math.Max(tx, 50)), pair.B.Read(f => f.DetectionTime));
            // A detects B after 3 x max(A's Required Min RX, B's 50 ms).
            Assert.Equal(TimeSpan.FromMilliseconds(3 * Math.Max(rx, 50)), pair.A.Read(f => f.DetectionTime));
        }
        Assert.Single(pair.TransitionsA, t => t.To == BfdState.Up);
        Assert.Single(pair.TransitionsB, t => t.To == BfdState.Up);
        Assert.DoesNotContain(pair.TransitionsB, t => t.From == BfdState.Up);
        Assert.Equal(5, pair.A.Counters().PollSequences);
    }
}
