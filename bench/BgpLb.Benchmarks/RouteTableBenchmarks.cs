using System.Buffers;
using BenchmarkDotNet.Attributes;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Benchmarks;

/// <summary>A 100,000-route table packed into 4,096-octet UPDATEs by <see cref="UpdateBuilder"/>.</summary>
[MemoryDiagnoser]
public class RouteTableBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(8 * 1024 * 1024);
    private UpdateBuilder _builder = null!;
    private PathAttributes _v4Attributes = null!;
    private PathAttributes _v6Attributes = null!;
    private PathAttributes[] _sets = [];
    private Nlri[] _v4 = [];
    private Nlri[] _v6 = [];
    private KeyValuePair<Nlri, PathAttributes>[] _mixed = [];

    [GlobalSetup]
    public void Setup()
    {
        _builder = new UpdateBuilder(Routes.Options);
        _v4Attributes = Routes.V4Attributes();
        _v6Attributes = Routes.V6Attributes();
        _sets = Enumerable.Range(0, Routes.AttributeSets).Select(Routes.V4Attributes).ToArray();
        _v4 = Routes.V4HostRoutes(Routes.TableSize);
        _v6 = Routes.V6HostRoutes(Routes.TableSize);
        // Route i gets set i % 100: interleaved, as a RIB walk in prefix order would see them.
        _mixed = _v4.Select((nlri, i) => KeyValuePair.Create(nlri, _sets[i % _sets.Length])).ToArray();
    }

    /// <summary>100k IPv4 /32s sharing one attribute set.</summary>
    [Benchmark]
    public int TableV4OneSet()
    {
        _output.ResetWrittenCount();
        return _builder.WriteAnnouncements(_output, _v4Attributes, _v4);
    }

    /// <summary>100k IPv4 /32s, 1,000 per attribute set, already grouped by the caller.</summary>
    [Benchmark]
    public int TableV4HundredSetsGrouped()
    {
        _output.ResetWrittenCount();
        var perSet = _v4.Length / _sets.Length;
        var messages = 0;
        for (var i = 0; i < _sets.Length; i++)
        {
            messages += _builder.WriteAnnouncements(_output, _sets[i], _v4.AsSpan(i * perSet, perSet));
        }
        return messages;
    }

    /// <summary>100k IPv4 /32s over 100 interleaved attribute sets, grouped by <see cref="UpdateBuilder.Write"/>.</summary>
    [Benchmark]
    public int TableV4HundredSetsInterleaved()
    {
        _output.ResetWrittenCount();
        return _builder.Write(_output, [], _mixed);
    }

    /// <summary>100k IPv6 /128s in MP_REACH_NLRI with a global next hop.</summary>
    [Benchmark]
    public int TableV6OneSet()
    {
        _output.ResetWrittenCount();
        return _builder.WriteAnnouncements(_output, _v6Attributes, _v6);
    }
}
