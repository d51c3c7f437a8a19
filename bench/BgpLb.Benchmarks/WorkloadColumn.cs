using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BgpLb.Benchmarks;

/// <summary>Summary columns derived from <see cref="Workloads"/>: NLRI per op, NLRI/s (NLRI per op / mean time), messages per op.</summary>
public sealed class WorkloadColumn : IColumn
{
    public static readonly IColumn Nlri = new WorkloadColumn("NLRI/op", 1);
    public static readonly IColumn NlriPerSecond = new WorkloadColumn("NLRI/s", 2);
    public static readonly IColumn Messages = new WorkloadColumn("Msgs/op", 3);

    private WorkloadColumn(string name, int priority)
    {
        ColumnName = name;
        PriorityInCategory = priority;
    }

    public string Id => nameof(WorkloadColumn) + "." + ColumnName;

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory { get; }

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => ColumnName switch
    {
        "NLRI/op" => "Prefixes carried by one operation",
        "NLRI/s" => "Prefixes per second on one core: NLRI/op divided by the mean time",
        _ => "UPDATE messages written or read by one operation",
    };

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        var nlri = Workloads.NlriPerOp(method);
        if (nlri is null)
        {
            return "-";
        }
        var ci = CultureInfo.InvariantCulture;
        switch (ColumnName)
        {
            case "NLRI/op":
                return nlri.Value.ToString("N0", ci);
            case "Msgs/op":
                return Workloads.MessagesPerOp(method)?.ToString("N0", ci) ?? "-";
            default:
                var meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
                return meanNs is > 0 ? (nlri.Value / (meanNs.Value * 1e-9) / 1e6).ToString("N1", ci) + " M" : "-";
        }
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
