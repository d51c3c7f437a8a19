using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace BgpLb.Benchmarks;

/// <summary>
/// Wire codec and allocator benchmarks.
/// <code>
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --filter '*'               # full run
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --filter '*' --job short   # quick look
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --list flat                # names
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --allocator-memory         # allocator bytes retained per assignment
/// dotnet run -c Release --project bench/BgpLb.Benchmarks -- --rib-cost                 # Adj-RIB-Out CPU per operation, bytes retained
/// </code>
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--allocator-memory"])
        {
            AllocatorMemory.Print();
            return;
        }
        if (args is ["--rib-cost"])
        {
            RibCost.Print();
            return;
        }
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(WorkloadColumn.Nlri, WorkloadColumn.NlriPerSecond, WorkloadColumn.Messages);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
