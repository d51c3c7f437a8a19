using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using BgpLb.BgpSpeaker.Rib;

namespace BgpLb.Benchmarks;

/// <summary>
/// <c>--rib-cost</c>: the CPU time (user + system of the whole process, GC included) of each
/// <see cref="AdjRibOutBenchmarks"/> operation, averaged over many runs, which a shared machine
/// inflates far less than the wall time BenchmarkDotNet reports; and the bytes an Adj-RIB-Out
/// holding 100,000 routes keeps (GC heap after a full collection, minus the heap with only the
/// input routes).
/// </summary>
public static class RibCost
{
    public static void Print()
    {
        var bench = new AdjRibOutBenchmarks();
        bench.Setup();
        Report("CreateSetSorted", 200, null, bench.CreateSetSorted);
        Report("CreateSetShuffled", 50, null, bench.CreateSetShuffled);
        Report("InitialDump", 200, null, bench.InitialDump);
        Report("InitialDumpHundredSets", 100, null, bench.InitialDumpHundredSets);
        Report("WithdrawAll", 100, bench.HoldAll, bench.WithdrawAll);
        Report("OneRouteChangedWholeSet", 200, bench.HoldAllToggle, bench.OneRouteChangedWholeSet);
        Report("OneRouteChangedWith", 200, bench.HoldAllToggle, bench.OneRouteChangedWith);
        var (routes, bytes) = Retained();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retained: {routes:N0} routes, {bytes:N0} bytes ({bytes / (double)routes:F1} per route) for the RouteSet and an Adj-RIB-Out holding it"));
    }

    /// <summary>Mean process CPU per operation; <paramref name="setup"/> runs before each and is not counted.</summary>
    private static void Report(string name, int runs, Action? setup, Func<int> operation)
    {
        for (var i = 0; i < 5; i++)
        {
            setup?.Invoke();
            operation();
        }
        var cpu = TimeSpan.Zero;
        var wall = TimeSpan.Zero;
        var gen2 = GC.CollectionCount(2);
        for (var i = 0; i < runs; i++)
        {
            setup?.Invoke();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            operation();
            wall += Stopwatch.GetElapsedTime(start);
            cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-24} CPU {cpu.TotalMilliseconds / runs,8:F3} ms/op   wall {wall.TotalMilliseconds / runs,8:F3} ms/op   ({runs} runs, {GC.CollectionCount(2) - gen2} gen-2 collections)"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (int Routes, long Bytes) Retained()
    {
        var routes = Routes.V4HostRoutes(Routes.TableSize).Select(n => new Route(n.Prefix)).ToList();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var set = RouteSet.Create(routes);
        var rib = new AdjRibOut();
        rib.SetDesired(set, [Routes.V4Attributes()]);
        rib.WriteChanges(new System.Buffers.ArrayBufferWriter<byte>(), new BgpLb.BgpSpeaker.Wire.UpdateBuilder(Routes.Options));
        set = RouteSet.Empty; // the Adj-RIB-Out alone keeps it now
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(routes);
        GC.KeepAlive(rib);
        return (routes.Count, after - before);
    }
}
