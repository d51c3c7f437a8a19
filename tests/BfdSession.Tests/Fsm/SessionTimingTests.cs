using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Tests.Support;
using BgpLb.BfdSession.Wire;
using Xunit;

namespace BgpLb.BfdSession.Tests.Fsm;

/// <summary>Two sessions back to back on fake time: bring-up, steady rate, detection, Poll Sequences.</summary>
public sealed class SessionTimingTests
{
    internal static BfdSessionParameters Params(int txMs, int rxMs, byte multiplier, BfdAuthKey? auth = null, bool passive = false) => new()
    {
        DesiredMinTxInterval = (uint)txMs * 1000,
        RequiredMinRxInterval = (uint)rxMs * 1000,
        DetectMultiplier = multiplier,
        Auth = auth,
        Passive = passive,
    };

    public static TheoryData<BfdAuthType> AllAuth => new() { BfdAuthType.None, BfdAuthType.SimplePassword, BfdAuthType.KeyedMd5, BfdAuthType.MeticulousKeyedMd5, BfdAuthType.KeyedSha1, BfdAuthType.MeticulousKeyedSha1 };

    [Theory]
    [MemberData(nameof(AllAuth))]
    public void Two_sessions_come_up_and_stay_up_at_the_negotiated_rate(BfdAuthType type)
    {
        var key = type == BfdAuthType.None ? null : new BfdAuthKey(type, 3, "secret"u8);
        using var pair = new LinkedPair(Params(50, 50, 3, key), Params(50, 50, 3, key));
        pair.A.Start();
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BfdState.Up, pair.StateA);
        Assert.Equal(BfdState.Up, pair.StateB);
        var sentBefore = pair.SinkA.Sent.Count;
        pair.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(BfdState.Up, pair.StateA);
        Assert.Equal(BfdState.Up, pair.StateB);
        // 10 s at 50 ms less 0-25 % jitter: between 200 and 267 packets.
        Assert.InRange(pair.SinkA.Sent.Count - sentBefore, 195, 270);
        Assert.Empty(pair.A.Counters().Dropped);
        Assert.Single(pair.TransitionsA, t => t.To == BfdState.Up);
    }
}
