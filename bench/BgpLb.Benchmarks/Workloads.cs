namespace BgpLb.Benchmarks;

/// <summary>What one operation of each benchmark carries: NLRI, and UPDATE messages written or read.</summary>
public static class Workloads
{
    private static readonly Lazy<Dictionary<string, (long Nlri, Func<int> Messages)>> Table = new(Build);

    public static long? NlriPerOp(string method) => Table.Value.TryGetValue(method, out var w) ? w.Nlri : null;

    public static int? MessagesPerOp(string method) => Table.Value.TryGetValue(method, out var w) ? w.Messages() : null;

    private static Dictionary<string, (long, Func<int>)> Build()
    {
        var full = Routes.FullUpdateNlriCount();
        var encode = new EncodeBenchmarks();
        encode.Setup();
        var table = new RouteTableBenchmarks();
        table.Setup();
        var rib = new AdjRibOutBenchmarks();
        rib.Setup();
        return new Dictionary<string, (long, Func<int>)>(StringComparer.Ordinal)
        {
            [nameof(DecodeBenchmarks.DecodeFullUpdate)] = (full, () => 1),
            [nameof(DecodeBenchmarks.EnumerateFullUpdateNlri)] = (full, () => 1),
            [nameof(EncodeBenchmarks.BuildFullUpdate)] = (full, encode.BuildFullUpdate),
            [nameof(EncodeBenchmarks.WriteFullUpdate)] = (full, () => 1),
            [nameof(EncodeBenchmarks.WriteTypicalUpdate)] = (EncodeBenchmarks.TypicalNlri, () => 1),
            [nameof(RouteTableBenchmarks.TableV4OneSet)] = (Routes.TableSize, table.TableV4OneSet),
            [nameof(RouteTableBenchmarks.TableV4HundredSetsGrouped)] = (Routes.TableSize, table.TableV4HundredSetsGrouped),
            [nameof(RouteTableBenchmarks.TableV4HundredSetsInterleaved)] = (Routes.TableSize, table.TableV4HundredSetsInterleaved),
            [nameof(RouteTableBenchmarks.TableV6OneSet)] = (Routes.TableSize, table.TableV6OneSet),
            [nameof(AdjRibOutBenchmarks.CreateSetSorted)] = (Routes.TableSize, () => 0),
            [nameof(AdjRibOutBenchmarks.CreateSetShuffled)] = (Routes.TableSize, () => 0),
            [nameof(AdjRibOutBenchmarks.InitialDump)] = (Routes.TableSize, rib.InitialDump),
            [nameof(AdjRibOutBenchmarks.InitialDumpHundredSets)] = (Routes.TableSize, rib.InitialDumpHundredSets),
            [nameof(AdjRibOutBenchmarks.WithdrawAll)] = (Routes.TableSize, () => { rib.HoldAll(); return rib.WithdrawAll(); }),
            [nameof(AdjRibOutBenchmarks.OneRouteChangedWholeSet)] = (1, () => { rib.HoldAllToggle(); return rib.OneRouteChangedWholeSet(); }),
            [nameof(AdjRibOutBenchmarks.OneRouteChangedWith)] = (1, () => { rib.HoldAllToggle(); return rib.OneRouteChangedWith(); }),
        };
    }
}
