using System.Buffers;
using BenchmarkDotNet.Attributes;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Benchmarks;

/// <summary>Encoding one UPDATE into a reused buffer: steady state must allocate nothing.</summary>
[MemoryDiagnoser]
public class EncodeBenchmarks
{
    /// <summary>Routes announced by the typical UPDATE.</summary>
    public const int TypicalNlri = 16;

    private readonly ArrayBufferWriter<byte> _output = new(BgpHeader.MaxMessageLength);
    private UpdateBuilder _builder = null!;
    private PathAttributes _attributes = null!;
    private Nlri[] _fullBatch = [];
    private UpdateMessage _typical = null!;
    private UpdateMessage _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        _builder = new UpdateBuilder(Routes.Options);
        _attributes = Routes.V4Attributes();
        _fullBatch = Routes.V4HostRoutes(Routes.FullUpdateNlriCount());
        _typical = new UpdateMessage(default, _attributes, Routes.V4HostRoutes(TypicalNlri));
        _full = new UpdateMessage(default, _attributes, _fullBatch);
    }

    /// <summary>Exactly one full 4,096-octet UPDATE through the builder.</summary>
    [Benchmark]
    public int BuildFullUpdate()
    {
        _output.ResetWrittenCount();
        return _builder.WriteAnnouncements(_output, _attributes, _fullBatch);
    }

    /// <summary>The same full UPDATE as a message record.</summary>
    [Benchmark]
    public int WriteFullUpdate()
    {
        _output.ResetWrittenCount();
        return MessageWriter.Write(_output, _full, Routes.Options);
    }

    /// <summary>A typical UPDATE: the six attributes and 16 /32s.</summary>
    [Benchmark]
    public int WriteTypicalUpdate()
    {
        _output.ResetWrittenCount();
        return MessageWriter.Write(_output, _typical, Routes.Options);
    }
}
