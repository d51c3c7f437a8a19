using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using Xunit.Abstractions;

namespace BgpLb.Kubernetes.Tests.Speaker;

/// <summary>
/// Issue 10's speaker scale line ("speaker memory ≤ 150 MiB" at 10,000 Services and 100 Nodes): one real
/// <c>bgplb speaker</c> started on a cluster that already holds <see cref="ScaleObjects.Services"/> LoadBalancer
/// Services with their addresses in status and <see cref="ScaleObjects.Nodes"/> Nodes, announcing every one to a
/// real BIRD. Its peak (VmHWM) and resident (VmRSS) memory are read from /proc when BIRD holds every route and
/// again after a steady period. The suite runs it with 1,000 Services; bench/k8s/speaker-memory.sh with 10,000
/// and the Native AOT executable (<c>BGPLB_SPEAKER_BINARY</c>).
/// </summary>
[Collection(ApiServerGroup.Name)]
public sealed partial class SpeakerMemoryTests(ApiServer server, ITestOutputHelper output)
{
    /// <summary>The issue's bound on the speaker's memory.</summary>
    private const long LimitKiB = 150 * 1024;

    /// <summary>Addresses per /24 of the pool: .1 to .254, so no address ends in .0 or .255.</summary>
    private const int PerBlock = 254;

    [Fact]
    public async Task One_speaker_announces_every_Service_of_a_large_cluster_within_150_MiB()
    {
        var services = ScaleObjects.Services;
        // 198.18.0.0/18 (the VIP range 198.18.0.0/15): 64 blocks of 254.
        Assert.True(services <= 64 * PerBlock, $"BGPLB_SCALE_SERVICES={services}: the pool 198.18.0.0/18 has {64 * PerBlock} addresses for this test");
        var steady = TimeSpan.FromSeconds(ScaleObjects.FromEnvironment("BGPLB_SCALE_STEADY_SECONDS", 10));
        var binary = Environment.GetEnvironmentVariable("BGPLB_SPEAKER_BINARY");
        Assert.True(string.IsNullOrEmpty(binary) || File.Exists(binary), $"BGPLB_SPEAKER_BINARY={binary}: no such file (dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true)");

        // The bench's own prefix (not the suite's), or BGPLB_BENCH_PREFIX: two benches at once on one machine never clean each other's namespaces.
        var prefix = Environment.GetEnvironmentVariable("BGPLB_BENCH_PREFIX") is { Length: > 0 } own ? own : "bgplbm2";
        await using var lab = await SpeakerLab.StartAsync(server, "mem", "198.18.0.0/18", prefix: prefix);
        var names = Enumerable.Range(0, services).Select(i => "svc-" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        string[] nodes = [];
        try
        {
            var setup = Stopwatch.StartNew();
            // The lab's own Node is the speaker's; the others only make the speaker's Node cache cluster-sized.
            nodes = await ScaleObjects.CreateNodesAsync(lab.Admin, lab.Namespace + "-x", ScaleObjects.Nodes - 1);
            await Parallel.ForEachAsync(Enumerable.Range(0, services), new ParallelOptions { MaxDegreeOfParallelism = ScaleObjects.Parallelism }, async (i, ct) =>
            {
                await lab.Admin.CoreV1.CreateNamespacedServiceAsync(ScaleObjects.Service(names[i], lab.LoadBalancerClass), lab.Namespace, cancellationToken: ct);
                await lab.SetIngressAsync(names[i], Address(i));
            });
            output.WriteLine($"speaker-memory: setup {services} Services with status, {ScaleObjects.Nodes} Nodes in {setup.Elapsed.TotalSeconds:0.0} s");

            var started = Stopwatch.StartNew();
            var speaker = await lab.SpeakerAsync(0, string.IsNullOrEmpty(binary) ? null : binary);
            var bound = TimeSpan.FromSeconds(120 + services / 50);
            while (Routes(lab) < services && started.Elapsed < bound && !speaker.HasExited)
            {
                await Task.Delay(200);
            }
            var routes = Routes(lab);
            Assert.True(routes == services, $"BIRD holds {routes} of {services} routes {started.Elapsed.TotalSeconds:0.0} s after the speaker started (bound {bound.TotalSeconds} s)\n{speaker.Output}");
            var toRoutes = started.Elapsed;
            var atRoutes = Memory(speaker.Id);
            output.WriteLine($"speaker-memory: {(string.IsNullOrEmpty(binary) ? "JIT (dotnet bgplb.dll)" : binary)}, {services} Services, {ScaleObjects.Nodes} Nodes");
            output.WriteLine($"speaker-memory: start to all {services} routes at BIRD: {toRoutes.TotalSeconds:0.0} s");
            output.WriteLine($"speaker-memory: at all routes: VmHWM {atRoutes.Hwm / 1024.0:0.0} MiB, VmRSS {atRoutes.Rss / 1024.0:0.0} MiB");

            // Sampled every 10 s: the shape (a step at start, or growth while nothing changes) says where to look.
            var steadyClock = Stopwatch.StartNew();
            while (steadyClock.Elapsed < steady && !speaker.HasExited)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, Math.Max(0, (steady - steadyClock.Elapsed).TotalSeconds))));
                var sample = Memory(speaker.Id);
                output.WriteLine($"speaker-memory:   +{steadyClock.Elapsed.TotalSeconds:0} s VmRSS {sample.Rss / 1024.0:0.0} MiB");
            }
            Assert.False(speaker.HasExited, "the speaker exited during the steady period\n" + speaker.Output);
            Assert.Equal(services, Routes(lab));
            var after = Memory(speaker.Id);
            output.WriteLine($"speaker-memory: after {steady.TotalSeconds:0} s steady: VmHWM {after.Hwm / 1024.0:0.0} MiB, VmRSS {after.Rss / 1024.0:0.0} MiB");
            Assert.True(after.Hwm <= LimitKiB, $"the speaker's peak memory (VmHWM) is {after.Hwm / 1024.0:0.0} MiB, above issue 10's {LimitKiB / 1024} MiB\n--- speaker (last lines) ---\n{string.Join('\n', speaker.Output.Split('\n').TakeLast(40))}");
        }
        finally
        {
            await ScaleObjects.DeleteServicesAsync(lab.Admin, lab.Namespace, names);
            await ScaleObjects.DeleteNodesAsync(lab.Admin, nodes);
        }
    }

    /// <summary>Service i's address: block i / 254 of the pool, host 1 + i % 254.</summary>
    private static string Address(int i) => $"198.18.{i / PerBlock}.{1 + i % PerBlock}";

    private static int Routes(SpeakerLab lab)
    {
        var match = RouteCount().Match(lab.Birdc("show route table master4 count"));
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static (long Hwm, long Rss) Memory(int pid)
    {
        var status = File.ReadAllText($"/proc/{pid}/status");
        long Field(string name)
        {
            var match = Regex.Match(status, $@"^{name}:\s+(\d+) kB", RegexOptions.Multiline);
            Assert.True(match.Success, $"/proc/{pid}/status has no {name} line:\n{status}");
            return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return (Field("VmHWM"), Field("VmRSS"));
    }

    [GeneratedRegex(@"(\d+) of \d+ routes")]
    private static partial Regex RouteCount();
}
