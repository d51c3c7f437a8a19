using System.Diagnostics;
using System.Globalization;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// The timing BFD exists for, against BIRD, with both cores kept busy (<see cref="Load"/>): our transmit gaps as BIRD's namespace sees them (tcpdump) never reach
/// BIRD's detection time (no false Down), and a silent cut (nftables drop-all in BIRD's namespace)
/// is detected within Detect Mult x interval plus slack. The printed table is what
/// docs/performance.md quotes.
/// </summary>
[Trait("Category", "Interop")]
public sealed class TimingTests(ITestOutputHelper output)
{
    private const int Multiplier = 3;
    private const int Cuts = 10;
    private const string CutTable = "add table inet bgplbf_cut; add chain inet bgplbf_cut in { type filter hook input priority -300; policy drop; }; add chain inet bgplbf_cut out { type filter hook output priority -300; policy drop; }";

    [Theory]
    // The slack covers starting `nft` for the cut on a loaded 2-core machine (one cut in CI took
    // 547 ms at 10 ms x 3, one 1,721 ms at 300 ms x 3); the medians in docs/performance.md are
    // the measurement. At 10 ms x 3 the 30 ms detection time is shorter than the stalls of the
    // whole VM that this machine shows a few times an hour (~100 ms, both directions at once, the
    // router's packets too: docs/performance.md, "False Downs"), so there the test checks the rate
    // and the detection, and the false-Down count is the bench's (bench/bfd), over 10 minutes.
    [InlineData(10, 1500, false)]
    [InlineData(50, 1500, true)]
    [InlineData(300, 1500, true)]
    public async Task Under_load_no_false_down_and_a_silent_cut_is_detected_within_detect_mult_times_interval(int intervalMs, int slackMs, bool noStallCanExplainADown)
    {
        BfdLab.RequireBinaries("bird2, tcpdump, tshark, nftables, util-linux", "bird", "birdc", "tcpdump", "tshark", "nft", "chrt");
        await using var lab = new BfdLab($"timing{intervalMs}");
        var dir = lab.Dir;
        File.WriteAllText($"{dir}/bird.conf", $$"""
            router id {{NetnsLab.PeerV4}};
            protocol device { }
            protocol bfd {
              interface "p0" { min rx interval {{intervalMs}} ms; min tx interval {{intervalMs}} ms; idle tx interval 1000 ms; multiplier {{Multiplier}}; };
              neighbor {{NetnsLab.HostV4}} dev "p0" local {{NetnsLab.PeerV4}};
            }
            """);
        // BIRD real-time too (chrt): under this load a normal-priority BIRD misses its own 10 ms
        // deadlines, and this test is about ours.
        lab.Net.Ns($"chrt -f 10 bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        string Show() => NetnsLab.Run($"birdc -s {dir}/bird.ctl show bfd sessions").Output;
        var peer = BfdLab.PeerV4;
        using var load = new Load();
        try
        {
            lab.Sessions.AddOrUpdate(peer, BfdLab.Profile(intervalMs, Multiplier));
            Assert.True(lab.WaitUp(peer, TimeSpan.FromSeconds(15)), $"{lab.Status(peer)}\n{Show()}");
            Thread.Sleep(1000);

            // 1. Transmit gaps under load, seen by BIRD's side.
            load.Start();
            var seconds = intervalMs >= 300 ? 30 : 10;
            var pcap = $"{dir}/tx.pcap";
            NetnsLab.Run($"ip netns exec {lab.Net.Namespace} timeout {seconds} tcpdump -i p0 -U -w {pcap} udp and src host {NetnsLab.HostV4} and dst port 3784", seconds + 10);
            var times = NetnsLab.Sh($"tshark -r {pcap} -T fields -e frame.time_epoch 2>/dev/null")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t, CultureInfo.InvariantCulture) * 1000).ToList();
            var gaps = times.Zip(times.Skip(1), (a, b) => b - a).Order().ToList();
            Assert.NotEmpty(gaps);
            double Pct(double p) => gaps[(int)Math.Min(gaps.Count - 1, Math.Round(p * (gaps.Count - 1)))];
            var txLine = $"| {intervalMs} ms x {Multiplier} | TX gap (ms) over {gaps.Count} gaps: min {gaps[0]:F2}, median {Pct(0.5):F2}, p99 {Pct(0.99):F2}, max {gaps[^1]:F2} " +
                $"(RFC 5880 §6.8.7 target {intervalMs * 0.75:F1}–{intervalMs:F1}); under load: {load.Collections} forced full GCs (GC load: {Environment.GetEnvironmentVariable("BGPLB_GC_LOAD") ?? "none"}), {GC.CollectionCount(0)} gen0 / {GC.CollectionCount(1)} gen1 / {GC.CollectionCount(2)} gen2 in the process |";
            output.WriteLine(txLine);
            Assert.True(gaps.Count > seconds * 1000 / intervalMs / 2, $"only {gaps.Count + 1} packets in {seconds} s");
            if (noStallCanExplainADown)
            {
                Assert.True(gaps[^1] < intervalMs * Multiplier, $"a gap of {gaps[^1]:F1} ms reaches BIRD's detection time {intervalMs * Multiplier} ms");
                Assert.Equal(0, lab.DownsReported());
            }
            Assert.True(lab.WaitUp(peer, TimeSpan.FromSeconds(15)), $"not Up again after the load: {lab.Status(peer)}\n{Show()}");

            // 2. Silent cuts: nothing in or out of BIRD's namespace.
            var detections = new List<double>();
            for (var cut = 0; cut < Cuts; cut++)
            {
                Thread.Sleep(intervalMs * 2);
                // Timed from issuing the cut, as shared/bench/bfd-bench.sh does for BIRD and FRR: on a
                // loaded machine starting nft takes longer than a 30 ms detection time.
                var at = Stopwatch.GetTimestamp();
                lab.Net.Ns($"nft '{CutTable}'");
                var detected = lab.WaitDownChangeAfter(at, TimeSpan.FromSeconds(5));
                lab.Net.Ns("nft delete table inet bgplbf_cut");
                Assert.NotNull(detected);
                detections.Add(detected.Value.Ms);
                Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, detected.Value.Change.Diagnostic);
                Assert.True(lab.WaitUp(peer, TimeSpan.FromSeconds(15)), $"not Up again after cut {cut}: {lab.Status(peer)}\n{Show()}");
            }
            detections.Sort();
            var detectLine = $"| {intervalMs} ms x {Multiplier} | cut -> Down over {Cuts} cuts (ms): median {detections[Cuts / 2]:F1}, min {detections[0]:F1}, max {detections[^1]:F1} (detection time {intervalMs * Multiplier} ms) |";
            output.WriteLine(detectLine);
            Assert.True(detections[^1] < (intervalMs * Multiplier) + slackMs, detectLine);
        }
        finally
        {
            load.Dispose();
            NetnsLab.Run($"kill -9 $(cat {dir}/bird.pid) 2>/dev/null");
        }
    }

    /// <summary>One busy-looping process per core; with BGPLB_GC_LOAD, also garbage in this process.</summary>
    private sealed class Load : IDisposable
    {
        /// <summary>
        /// BGPLB_GC_LOAD (the GC measurement of docs/performance.md; unset in ./test.sh): "churn" adds
        /// a thread allocating ~10 MB every 200 ms into a live set of up to ~200 MB; "background" or
        /// "blocking" also forces a full collection of that kind after each batch. A GC pause
        /// suspends our timer thread (docs/bfd.md), so the asserted bounds hold for CPU load only.
        /// </summary>
        private static readonly string? GcLoad = Environment.GetEnvironmentVariable("BGPLB_GC_LOAD");

        private readonly List<Process> _burners = [];
        private readonly CancellationTokenSource _stop = new();
        private Thread? _gc;

        public int Collections { get; private set; }

        public void Start()
        {
            for (var i = 0; i < Environment.ProcessorCount; i++)
            {
                _burners.Add(Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]))!);
            }
            if (GcLoad is null)
            {
                return;
            }
            _gc = new Thread(() =>
            {
                var keep = new List<byte[]>();
                while (!_stop.IsCancellationRequested)
                {
                    for (var i = 0; i < 20_000; i++)
                    {
                        keep.Add(new byte[100 + (i % 900)]);
                    }
                    if (keep.Count > 400_000)
                    {
                        keep.RemoveRange(0, 200_000);
                    }
                    if (GcLoad is "blocking" or "background")
                    {
                        GC.Collect(2, GCCollectionMode.Forced, blocking: GcLoad == "blocking", compacting: GcLoad == "blocking");
                        Collections++;
                    }
                    _stop.Token.WaitHandle.WaitOne(200);
                }
            }) { IsBackground = true };
            _gc.Start();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _gc?.Join();
            foreach (var burner in _burners)
            {
                try
                {
                    burner.Kill();
                }
                catch (InvalidOperationException)
                {
                }
                burner.Dispose();
            }
            _burners.Clear();
        }
    }
}
