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

    private static List<double> Gaps(IEnumerable<DateTimeOffset> times)
    {
        var list = times.ToList();
        return list.Zip(list.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
    }

    [Fact]
    public void While_not_up_packets_go_at_the_one_second_slow_rate_with_jitter()
    {
        using var pair = new LinkedPair(Params(50, 50, 3), Params(50, 50, 3));
        pair.Cut = true;
        pair.A.Start();
        pair.Advance(TimeSpan.FromSeconds(30));
        var gaps = Gaps(pair.SinkA.Sent.Select(s => s.At));
        Assert.InRange(gaps.Count, 29, 40);
        Assert.All(gaps, gap => Assert.InRange(gap, 750, 1001));
        Assert.All(pair.SinkA.Sent, s => Assert.Equal(1_000_000u, s.Packet.DesiredMinTxInterval));
        Assert.All(pair.SinkA.Sent, s => Assert.Equal(BfdState.Down, s.Packet.State));
    }

    [Theory]
    [InlineData(3, 75, 100)]
    [InlineData(1, 75, 90)]
    public void Up_packets_are_jittered_between_75_and_100_percent_or_90_with_multiplier_1(byte multiplier, int minPercent, int maxPercent)
    {
        using var pair = new LinkedPair(Params(100, 100, multiplier), Params(100, 100, 3));
        pair.A.Start();
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BfdState.Up, pair.StateA);
        var from = pair.SinkA.Sent.Count;
        pair.Advance(TimeSpan.FromSeconds(20));
        // Only periodic packets: Finals answering B's polls would be extra (B polls once, at Up, before this window).
        var gaps = Gaps(pair.SinkA.Sent.Skip(from).Select(s => s.At));
        Assert.All(gaps, gap => Assert.InRange(gap, minPercent - 1, maxPercent + 1));
        // The jitter is spread, not a constant.
        Assert.True(gaps.Max() - gaps.Min() > (maxPercent - minPercent) / 2.0, $"{gaps.Min()}..{gaps.Max()}");
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(50, 3)]
    [InlineData(300, 5)]
    public void A_silent_peer_is_detected_within_detect_mult_times_the_interval(int intervalMs, byte multiplier)
    {
        using var pair = new LinkedPair(Params(intervalMs, intervalMs, multiplier), Params(intervalMs, intervalMs, multiplier));
        pair.A.Start();
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(BfdState.Up, pair.StateA);
        var lastHeard = pair.SinkB.Sent[^1].At;
        pair.Cut = true;
        var cutAt = pair.Time.GetUtcNow();
        pair.Advance(TimeSpan.FromMilliseconds((intervalMs * multiplier) + 5));
        Assert.Equal(BfdState.Down, pair.StateA);
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, pair.A.Read(f => f.LocalDiagnostic));
        var down = pair.SinkA.Sent.First(s => s.At >= cutAt && s.Packet.State == BfdState.Down).At;
        // Exactly one detection time after the last packet heard (1 ms steps of fake time).
        Assert.InRange((down - lastHeard).TotalMilliseconds, (intervalMs * multiplier) - 1, (intervalMs * multiplier) + 1);
    }

    [Fact]
    public void A_passive_session_waits_for_the_active_one()
    {
        using var pair = new LinkedPair(Params(50, 50, 3, passive: true), Params(50, 50, 3));
        pair.A.Start();
        pair.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(pair.SinkA.Sent);
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BfdState.Up, pair.StateA);
        Assert.Equal(BfdState.Up, pair.StateB);
    }

    [Fact]
    public void The_peer_going_admin_down_brings_us_down_with_diagnostic_3_and_back_up_after()
    {
        using var pair = new LinkedPair(Params(50, 50, 3), Params(50, 50, 3));
        pair.A.Start();
        pair.B.Start();
        pair.Advance(TimeSpan.FromSeconds(3));
        pair.B.AdminDown();
        pair.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(BfdState.Down, pair.StateA);
        Assert.Equal(BfdDiagnostic.NeighborSignaledSessionDown, pair.A.Read(f => f.LocalDiagnostic));
        Assert.Equal(BfdDiagnostic.AdministrativelyDown, pair.A.Read(f => f.RemoteDiagnostic));
        pair.B.AdminUp();
        pair.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BfdState.Up, pair.StateA);
        Assert.Equal(BfdState.Up, pair.StateB);
    }
}
