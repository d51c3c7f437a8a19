using System.Buffers;
using BenchmarkDotNet.Attributes;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Benchmarks;

/// <summary>Decoding one full 4,096-octet UPDATE of IPv4 /32s.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _message = [];
    private int _nlriOffset;

    [GlobalSetup]
    public void Setup()
    {
        _message = Routes.FullUpdate();
        _nlriOffset = _message.Length - Routes.NlriField(_message).Length;
    }

    /// <summary>Framing and full decode into an <see cref="UpdateMessage"/> (attributes and NLRI arrays built).</summary>
    [Benchmark]
    public BgpMessage? DecodeFullUpdate()
    {
        var input = new ReadOnlySequence<byte>(_message);
        MessageReader.TryRead(ref input, Routes.Options, out var message, out _);
        return message;
    }

    /// <summary>The route path: enumerate the NLRI field with the zero-allocation reader.</summary>
    [Benchmark]
    public uint EnumerateFullUpdateNlri()
    {
        var reader = new NlriReader(_message.AsSpan(_nlriOffset), Afi.IPv4, addPath: false);
        uint sum = 0;
        while (reader.MoveNext(out var nlri))
        {
            sum += nlri.Prefix.V4Address;
        }
        return sum;
    }
}
