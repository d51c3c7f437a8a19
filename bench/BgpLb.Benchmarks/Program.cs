using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace BgpLb.Benchmarks;

/// <summary>
/// Wire codec benchmarks.
/// <code>
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --filter '*'               # full run
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --filter '*' --job short   # quick look
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --list flat                # names
/// </code>
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(WorkloadColumn.Nlri, WorkloadColumn.NlriPerSecond, WorkloadColumn.Messages);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
