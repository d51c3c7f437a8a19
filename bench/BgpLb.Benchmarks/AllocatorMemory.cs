using System.Globalization;
using System.Runtime.CompilerServices;
using BgpLb.Allocator;

namespace BgpLb.Benchmarks;

/// <summary>
/// Bytes the allocator keeps per assignment after 100,000 allocations: GC heap after a full collection,
/// minus the heap holding only the input Services; without and with <see cref="IpAllocator.EnsureCapacity"/>.
/// </summary>
public static class AllocatorMemory
{
    public static void Print()
    {
        foreach (var v6 in new[] { false, true })
        {
            foreach (var hint in new[] { 0, AllocatorWorkload.Services })
            {
                var (count, bytes) = Measure(v6, hint);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(v6 ? "IPv6 /64" : "IPv4 /15")} capacityHint={hint,6}: {count:N0} assignments, {bytes:N0} bytes retained, {bytes / (double)count:F1} bytes per assignment"));
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (int Count, long Bytes) Measure(bool v6, int hint)
    {
        var services = AllocatorWorkload.Build(v6);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocator = AllocatorWorkload.Full(v6, services, hint);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(services);
        return (allocator.Count, after - before);
    }
}
