using System.Globalization;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// 100,000 IPv4 /32s (198.18.0.0 onwards, inside 198.18.0.0/15) to a BIRD receiver, counted by BIRD
/// itself; then the whole table withdrawn and announced again while the session stays up. Every
/// wait is generously bounded: this shows correctness at scale, not speed (the wall times printed
/// are recorded in docs/performance.md). BIRD's import counter is read every 5 ms over one
/// control-socket connection, so the times printed resolve the tens of milliseconds a phase takes.
/// The lab has its own namespace prefix: its stale-lab clean-up never touches another suite's.
/// </summary>
[Trait("Category", "Interop")]
public sealed partial class StressTests(ITestOutputHelper output)
{
    private const int RouteCount = 100_000;
    private static readonly TimeSpan PhaseBound = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task Hundred_thousand_routes_reach_bird_and_a_full_withdraw_and_reannounce_keeps_the_session_up()
    {
        using var lab = new ResilienceLab("stress", "bgplbp");
        // Hold time 9 s: the session loop plans a 100,000-route change in one piece (a few ms of CPU
        // since the route-set rewrite, 0.8 s before) before the first UPDATE goes out in budgeted
        // slices; a hold time that short proves no whole dump blocks KEEPALIVEs, with room for a
        // loaded CI machine.
        var router = (BirdRouter)Routers.Create("bird", lab, new RouterConfig { HoldTime = 9 });
        router.Start();
        using var bird = router.Control();
        var first = IpPrefix.Parse("198.18.0.0/32").V4Address;
        var routes = Enumerable.Range(0, RouteCount).Select(i => new Route(IpPrefix.V4(first + (uint)i, 32))).ToList();
        Assert.True(IpPrefix.Parse("198.19.255.255/32").V4Address >= first + RouteCount - 1);
        await using var session = lab.Session(ResilienceLab.Options(holdTime: 9));
        var watch = new SessionWatch(session);
        try
        {
            session.SetRoutes(routes);
            var start = watch.Now;
            var cpu = Cpu();
            session.Start();
            var announced = Phase(RouteCount, "announce");
            router.AssertEstablished(session, TimeSpan.FromSeconds(30));
            Assert.Equal(TimeSpan.FromSeconds(9), session.Negotiated!.HoldTime);
            var openConfirm = watch.LastEntered(BgpState.OpenConfirm);
            Report("announce", announced, openConfirm, cpu, $"start -> OpenConfirm {Seconds(openConfirm - start)}, OpenConfirm -> Established (initial routes written) {Seconds(watch.LastEntered(BgpState.Established) - openConfirm)}");
            var since = router.StateSince();
            var upsInLog = StateUp().Count(router.ReadLog());

            var trigger = watch.Now;
            cpu = Cpu();
            session.SetRoutes([]);
            var withdrawn = Phase(0, "withdraw all");
            Report("withdraw all", withdrawn, trigger, cpu, "");
            // Withdrawn, not replaced: BIRD counted every withdrawal it accepted.
            Assert.Equal(RouteCount.ToString(CultureInfo.InvariantCulture), ImportWithdraws().Match(router.Describe()).Groups[1].Value);

            trigger = watch.Now;
            cpu = Cpu();
            session.SetRoutes(routes);
            var reannounced = Phase(RouteCount, "re-announce all");
            Report("re-announce all", reannounced, trigger, cpu, $"UPDATEs sent in all {session.UpdatesSent}, peak working set of the test process {Environment.WorkingSet >> 20} MiB now, {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB peak");

            // One route more or less on top of the 100,000 (one Service added or removed), given as
            // a whole new collection and as RouteSet.With; BIRD's counter polled every millisecond.
            var extra = new Route(IpPrefix.Parse("198.19.255.255/32"));
            var withExtra = routes.Append(extra).ToList();
            var edits = new List<double>();
            for (var i = 0; i < Edits; i++)
            {
                var adding = i % 2 == 0;
                trigger = watch.Now;
                session.SetRoutes(adding ? withExtra : routes);
                edits.Add((Edit(adding ? RouteCount + 1 : RouteCount, "one-route edit") - trigger).TotalMilliseconds);
            }
            var set = RouteSet.Create(routes);
            session.SetRoutes(set);
            Assert.Equal(RouteCount, bird.Imported("bgplb"));
            var incremental = new List<double>();
            for (var i = 0; i < Edits; i++)
            {
                var adding = i % 2 == 0;
                trigger = watch.Now;
                set = adding ? set.With([extra], []) : set.With([], [extra.Prefix]);
                session.SetRoutes(set);
                incremental.Add((Edit(adding ? RouteCount + 1 : RouteCount, "one-route edit with RouteSet.With") - trigger).TotalMilliseconds);
            }
            output.WriteLine($"one route added or removed, whole collection: p50 {Percentile(edits, 50):0.0} ms, p90 {Percentile(edits, 90):0.0} ms; RouteSet.With: p50 {Percentile(incremental, 50):0.0} ms, p90 {Percentile(incremental, 90):0.0} ms ({Edits} edits each)");

            // The session never reset: not on our side, not in BIRD's protocol state or its log.
            Assert.Equal(0, watch.DownCount);
            Assert.Equal(BgpState.Established, session.State);
            Assert.Equal(since, router.StateSince());
            Assert.Equal(upsInLog, StateUp().Count(router.ReadLog()));
        }
        finally
        {
            output.WriteLine(string.Join("\n", watch.Downs));
            output.WriteLine(router.Describe());
            output.WriteLine(router.ReadLog());
        }

        // Wall time from the trigger until BIRD counts 99 % of the way and then all the routes
        // (5 ms polls), and the CPU time this test process used meanwhile (polls included), which
        // a busy shared machine inflates far less.
        void Report(string phase, (TimeSpan All, TimeSpan Most) at, TimeSpan trigger, TimeSpan cpuBefore, string more) =>
            output.WriteLine($"{phase}: {Seconds(at.All - trigger)} wall (99 % at {Seconds(at.Most - trigger)}), {Seconds(Cpu() - cpuBefore)} CPU; {more}");

        TimeSpan Edit(int expected, string what)
        {
            var at = bird.WaitFor("bgplb", n => n == expected, _ => true, () => watch.Now, TimeSpan.FromMilliseconds(1), PhaseBound);
            Assert.True(at is not null, $"{what}: BIRD does not count {expected} routes within {PhaseBound.TotalSeconds:0} s");
            return at.Value.Done;
        }

        (TimeSpan All, TimeSpan Most) Phase(int expected, string what)
        {
            var from = Math.Max(0, bird.Imported("bgplb"));
            var at = bird.WaitFor("bgplb", n => n == expected, n => n >= 0 && Math.Abs(n - from) >= Math.Abs(expected - from) * 99 / 100, () => watch.Now, Poll, PhaseBound);
            Assert.True(at is not null,
                $"{what}: BIRD holds {router.Count(Afi.IPv4)} routes, expected {expected} within {PhaseBound.TotalSeconds:0} s; session {session.State}\n{router.Describe()}");
            return at.Value;
        }
    }

    private const int Edits = 40;

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, sorted.Count * percent / 100)];
    }

    private static TimeSpan Cpu() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s";

    [GeneratedRegex(@"Import withdraws:\s+(\d+)")]
    private static partial Regex ImportWithdraws();

    [GeneratedRegex(@"bgplb: State changed to up")]
    private static partial Regex StateUp();
}
