using System.Diagnostics;
using System.Text.RegularExpressions;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// Our BFD against BIRD 2's <c>protocol bfd</c> with a static neighbor, in network namespaces.
/// What BIRD negotiated is read from BIRD (<c>birdc show bfd sessions</c>), never from our state.
/// </summary>
[Trait("Category", "Interop")]
[Collection(PeerInteropRunsAlone.Name)]
public sealed partial class BirdBfdTests(ITestOutputHelper output)
{
    private static string BirdConfig(string dir, int intervalMs, int multiplier, string auth = "") => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{dir}}/bird.log" all;
        debug protocols all;
        protocol device { }
        protocol bfd {
          interface "p0" {
            min rx interval {{intervalMs}} ms;
            min tx interval {{intervalMs}} ms;
            idle tx interval 1000 ms;
            multiplier {{multiplier}};
            {{auth}}
          };
          neighbor {{NetnsLab.HostV4}} dev "p0" local {{NetnsLab.PeerV4}};
          neighbor {{NetnsLab.HostV6}} dev "p0" local {{NetnsLab.PeerV6}};
        }
        """;

    /// <summary>One row of <c>show bfd sessions</c>: IP, interface, state, since, interval (s), timeout (s).</summary>
    private sealed record BirdSession(string State, string Since, double Interval, double Timeout);

    /// <summary>BIRD's "since" column: a time of day, e.g. <c>03:03:32.659</c>.</summary>
    private static TimeSpan SinceTime(string since) => TimeSpan.Parse(since, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<ip>\S+)\s+(?<iface>\S+)\s+(?<state>\S+)\s+(?<since>\S+(?: \S+)?)\s+(?<interval>[0-9.]+)\s+(?<timeout>[0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SessionRow();

    private static BirdSession? Row(string show, string ip) => SessionRow().Matches(show)
        .Where(m => m.Groups["ip"].Value == ip)
        .Select(m => new BirdSession(m.Groups["state"].Value, m.Groups["since"].Value,
            double.Parse(m.Groups["interval"].Value, System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(m.Groups["timeout"].Value, System.Globalization.CultureInfo.InvariantCulture)))
        .FirstOrDefault();

    private static string StartBird(BfdLab lab, string config)
    {
        File.WriteAllText(Path.Combine(lab.Dir, "bird.conf"), config);
        // Real-time (chrt), as our own threads are: on a loaded machine a normal-priority peer is
        // late by more than 3 x 50 ms now and then, and these tests are about us, not about BIRD.
        lab.Net.Ns($"chrt -f 10 bird -c {lab.Dir}/bird.conf -s {lab.Dir}/bird.ctl -P {lab.Dir}/bird.pid");
        return $"{lab.Dir}/bird.ctl";
    }

    [Fact]
    public async Task Sessions_come_up_with_bird_negotiate_its_timers_change_profile_without_a_flap_and_detect_its_death()
    {
        BfdLab.RequireBinaries("bird2 and util-linux", "bird", "birdc", "chrt");
        await using var lab = new BfdLab("bird");
        var ctl = StartBird(lab, BirdConfig(lab.Dir, 50, 3));
        string Show() => NetnsLab.Run($"birdc -s {ctl} show bfd sessions").Output;
        var v4 = BfdLab.PeerV4;
        var v6 = BfdLab.PeerV6;
        try
        {
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(50, 3));
            lab.Sessions.AddOrUpdate(v6, BfdLab.Profile(50, 3));
            Assert.True(lab.WaitUp(v4, TimeSpan.FromSeconds(15)), $"{lab.Status(v4)}\n{Show()}");
            Assert.True(lab.WaitUp(v6, TimeSpan.FromSeconds(15)), $"{lab.Status(v6)}\n{Show()}");
            // BIRD's side: Up, its transmit interval 50 ms, its detection time 3 x 50 ms.
            Assert.True(NetnsLab.WaitUntil(() => Row(Show(), NetnsLab.HostV4) is { State: "Up", Interval: 0.050, Timeout: 0.150 }, TimeSpan.FromSeconds(5)), Show());
            Assert.True(NetnsLab.WaitUntil(() => Row(Show(), NetnsLab.HostV6) is { State: "Up", Interval: 0.050, Timeout: 0.150 }, TimeSpan.FromSeconds(5)), Show());
            output.WriteLine(Show());
            var status = lab.Status(v4);
            Assert.Equal(TimeSpan.FromMilliseconds(50), status.TransmitInterval);
            Assert.Equal(TimeSpan.FromMilliseconds(150), status.DetectionTime);
            Assert.Equal(3, status.RemoteDetectMultiplier);
            Assert.InRange(status.SourcePort, 49152, 65535);
            var since = Row(Show(), NetnsLab.HostV4)!.Since;

            // A profile change (100 ms, x5) goes through a Poll Sequence: BIRD's interval follows our
            // Required Min RX and its timeout our multiplier, and BIRD never saw the session leave Up.
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(100, 5));
            Assert.True(NetnsLab.WaitUntil(() => Row(Show(), NetnsLab.HostV4) is { State: "Up", Interval: 0.100, Timeout: 0.500 }, TimeSpan.FromSeconds(5)), Show());
            Assert.True(NetnsLab.WaitUntil(() => !lab.Status(v4).PollActive, TimeSpan.FromSeconds(5)));
            status = lab.Status(v4);
            Assert.Equal(TimeSpan.FromMilliseconds(100), status.TransmitInterval);
            Assert.Equal(TimeSpan.FromMilliseconds(300), status.DetectionTime);
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(50, 3));
            Assert.True(NetnsLab.WaitUntil(() => Row(Show(), NetnsLab.HostV4) is { State: "Up", Interval: 0.050, Timeout: 0.150 }, TimeSpan.FromSeconds(5)), Show());
            // BIRD prints "since" from its monotonic clock, so the same instant can read a millisecond
            // apart between two `show` calls; a flap would move it by at least a detection time plus
            // the 1 s slow rate while Down (RFC 5880 §6.8.3).
            var sinceNow = Row(Show(), NetnsLab.HostV4)!.Since;
            Assert.True(Math.Abs((SinceTime(sinceNow) - SinceTime(since)).TotalMilliseconds) < 50, $"since {since} -> {sinceNow}: the session flapped");
            Assert.Equal(0, lab.DownsReported());
            Assert.True(lab.Status(v4).Counters.PollSequences >= 3, lab.Status(v4).Counters.ToString());
            output.WriteLine(Show());

            // BIRD dies silently: we detect it within our detection time (3 x 50 ms), slack for a loaded machine.
            Thread.Sleep(500);
            // The bound runs from the end of the kill command: forking a shell on a loaded machine can
            // take longer than the detection time itself, and that is not BFD's time.
            var killing = Stopwatch.GetTimestamp();
            NetnsLab.Run($"kill -9 $(cat {lab.Dir}/bird.pid)");
            var killMs = Stopwatch.GetElapsedTime(killing).TotalMilliseconds;
            var detected = lab.WaitDownAfter(killing, TimeSpan.FromSeconds(5));
            output.WriteLine($"kill command {killMs:F1} ms, start of kill -> Down: {detected} ms");
            Assert.NotNull(detected);
            Assert.True(detected - killMs < 150 + 350,
                $"detected {detected - killMs:F1} ms after the kill command returned (it took {killMs:F1} ms), more than 3 x 50 ms + 350 ms slack");
            Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, lab.Status(v4).LocalDiagnostic);
            Assert.Equal(BfdState.Down, lab.Status(v4).State);
        }
        finally
        {
            output.WriteLine(BfdLab.ReadOrNone($"{lab.Dir}/bird.log"));
            NetnsLab.Run($"kill -9 $(cat {lab.Dir}/bird.pid) 2>/dev/null");
        }
    }

    public static TheoryData<BfdAuthType, string> AuthTypes => new()
    {
        { BfdAuthType.SimplePassword, "simple" },
        { BfdAuthType.KeyedMd5, "keyed md5" },
        { BfdAuthType.MeticulousKeyedMd5, "meticulous keyed md5" },
        { BfdAuthType.KeyedSha1, "keyed sha1" },
        { BfdAuthType.MeticulousKeyedSha1, "meticulous keyed sha1" },
    };

    [Theory]
    [MemberData(nameof(AuthTypes))]
    public async Task Authenticated_session_with_bird_comes_up_with_the_right_key_and_not_with_a_wrong_one(BfdAuthType type, string birdName)
    {
        BfdLab.RequireBinaries("bird2 and util-linux", "bird", "birdc", "chrt");
        await using var lab = new BfdLab($"birdauth{(int)type}");
        const byte KeyId = 7;
        var ctl = StartBird(lab, BirdConfig(lab.Dir, 50, 3, $"authentication {birdName}; password \"bgplb-secret\" {{ id {KeyId}; }};"));
        string Show() => NetnsLab.Run($"birdc -s {ctl} show bfd sessions").Output;
        var v4 = BfdLab.PeerV4;
        BfdProfile Keyed(string secret, byte keyId) => BfdLab.Profile(50, 3) with { Authentication = new BfdAuthKey(type, keyId, System.Text.Encoding.ASCII.GetBytes(secret)) };
        try
        {
            // The wrong secret: BIRD never comes up and we discard its packets as unauthenticated.
            lab.Sessions.AddOrUpdate(v4, Keyed("not-the-secret", KeyId));
            Assert.True(NetnsLab.WaitUntil(() => lab.Status(v4).Counters.Dropped.GetValueOrDefault(BfdDropReason.AuthenticationFailed) >= 2, TimeSpan.FromSeconds(10)), lab.Status(v4).Counters.ToString());
            Assert.NotEqual(BfdState.Up, lab.Status(v4).State);
            Assert.NotEqual("Up", Row(Show(), NetnsLab.HostV4)?.State);
            await lab.Sessions.RemoveAsync(v4, CancellationToken.None);

            // The wrong key ID is named as such.
            lab.Sessions.AddOrUpdate(v4, Keyed("bgplb-secret", KeyId + 1));
            Assert.True(NetnsLab.WaitUntil(() => lab.Status(v4).Counters.Dropped.GetValueOrDefault(BfdDropReason.AuthKeyIdMismatch) >= 2, TimeSpan.FromSeconds(10)), lab.Status(v4).Counters.ToString());
            await lab.Sessions.RemoveAsync(v4, CancellationToken.None);

            // The right one: Up on both sides, packets counted, none dropped after Up.
            lab.Sessions.AddOrUpdate(v4, Keyed("bgplb-secret", KeyId));
            Assert.True(lab.WaitUp(v4, TimeSpan.FromSeconds(15)), $"{lab.Status(v4)}\n{Show()}");
            Assert.True(NetnsLab.WaitUntil(() => Row(Show(), NetnsLab.HostV4) is { State: "Up", Interval: 0.050 }, TimeSpan.FromSeconds(5)), Show());
            var before = lab.Status(v4).Counters;
            Thread.Sleep(500);
            var after = lab.Status(v4).Counters;
            Assert.True(after.PacketsReceived - before.PacketsReceived >= 5, $"{before} -> {after}");
            Assert.Equal(before.DroppedTotal, after.DroppedTotal);
            Assert.Equal(BfdState.Up, lab.Status(v4).State);
        }
        finally
        {
            output.WriteLine(Show());
            output.WriteLine(BfdLab.ReadOrNone($"{lab.Dir}/bird.log"));
            NetnsLab.Run($"kill -9 $(cat {lab.Dir}/bird.pid) 2>/dev/null");
        }
    }
}
