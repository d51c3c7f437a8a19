using System.Buffers;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Wire;

public sealed class CodecPropertyTests
{
    private static readonly CodecOptions AddPathBoth = CodecOptions.Modern with
    {
        AddPathReceive = AddPathFamilies.IPv4Unicast | AddPathFamilies.IPv6Unicast,
        AddPathSend = AddPathFamilies.IPv4Unicast | AddPathFamilies.IPv6Unicast,
    };

    [Fact]
    public void Decode_of_encode_is_identity_for_every_message_type() =>
        Generators.Message.Sample(m => Assert.Equal(m, Codec.Decode(Codec.Encode(m))), iter: 3000);

    [Fact]
    public void Decode_of_encode_is_identity_for_updates_with_add_path_and_external_peers() =>
        Generators.Update(addPath: true, external: true).Sample(
            m => Assert.Equal(m, Codec.Decode(Codec.Encode(m, AddPathBoth with { ExternalPeer = true }), AddPathBoth with { ExternalPeer = true })),
            iter: 2000);

    [Fact]
    public void Two_octet_sessions_carry_four_octet_paths_through_as4_path()
    {
        var twoOctet = CodecOptions.Default with { MaxMessageLength = BgpHeader.ExtendedMaxMessageLength };
        // Confederation segments never travel in AS4_PATH (RFC 6793 §6): sequences and sets only.
        // Aggregators of any size: the writer sends AS_TRANS + AS4_AGGREGATOR whenever AS4_PATH goes out.
        Generators.Update(false, false)
            .Where(u => u.Attributes.AsPath is { } p && p.Segments.AsSpan().ToArray().All(s => s.Type is AsPathSegmentType.AsSequence or AsPathSegmentType.AsSet))
            .Sample(m => Assert.Equal(m, Codec.Decode(Codec.Encode(m, twoOctet), twoOctet)), iter: 1000);
    }

    /// <summary>Any bytes at all: a status, never an exception, never reading past the input.</summary>
    [Fact]
    public void Random_bytes_never_throw() =>
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[0, 4], Gen.Int[0, 600], (b, o, s) => (Bytes: WithMarker(b, o), Options: o, Split: s))
            .Sample(x => DecodeAll(x.Bytes, Options(x.Options), x.Split), iter: 20000);

    /// <summary>Valid messages with bytes changed, inserted, removed or truncated: the decoder stays total.</summary>
    [Fact]
    public void Mutated_valid_messages_never_throw() =>
        Gen.Select(Generators.Message, Gen.Int[0, 3], Gen.Int[0, 1 << 20], Gen.Byte, Gen.Int[0, 4], (m, kind, at, value, o) => (m, kind, at, value, o))
            .Sample(x =>
            {
                var bytes = Codec.Encode(x.m).ToList();
                var i = x.at % bytes.Count;
                switch (x.kind)
                {
                    case 0: bytes[Math.Max(i, 16)] = x.value; break;
                    case 1: bytes.Insert(Math.Max(i, 19), x.value); break;
                    case 2: bytes.RemoveAt(Math.Max(i, 16) % bytes.Count); break;
                    default: bytes.RemoveRange(i, bytes.Count - i); break;
                }
                DecodeAll(bytes.ToArray(), Options(x.o), x.at % (bytes.Count + 1));
            }, iter: 20000);

    /// <summary>The largest a decoded message may cost: 32 octets per one-octet /0 prefix plus fixed overhead.</summary>
    [Fact]
    public void Decoding_allocates_memory_bounded_by_the_message_length() =>
        Gen.OneOf(Generators.Message.Select(m => Codec.Encode(m)), Gen.Byte.Array[0, 4096].Select(b => WithMarker(b, 0)))
            .Sample(bytes =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                MessageReader.TryRead(bytes, CodecOptions.Modern, out _, out _);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= (48L * bytes.Length) + 16384, $"{allocated} bytes allocated for a {bytes.Length}-octet message");
            }, iter: 3000);

    [Fact]
    public void A_message_split_anywhere_decodes_the_same_as_whole() =>
        Gen.Select(Generators.Message, Gen.Int[0, 1 << 20], (m, s) => (m, s)).Sample(x =>
        {
            var bytes = Codec.Encode(x.m);
            var split = x.s % (bytes.Length + 1);
            var sequence = Segments(bytes, split);
            Assert.Equal(OperationStatus.Done, MessageReader.TryRead(ref sequence, CodecOptions.Modern, out var message, out _));
            Assert.Equal(x.m, message);
            Assert.Equal(0, sequence.Length);
        }, iter: 2000);

    [Fact]
    public void An_incomplete_message_needs_more_data_and_consumes_nothing() =>
        Gen.Select(Generators.Message, Gen.Int[0, 1 << 20], (m, s) => (m, s)).Sample(x =>
        {
            var bytes = Codec.Encode(x.m);
            var cut = x.s % bytes.Length;
            var sequence = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.Equal(OperationStatus.NeedMoreData, MessageReader.TryRead(ref sequence, CodecOptions.Modern, out _, out _));
            Assert.Equal(cut, sequence.Length);
        }, iter: 2000);

    private static CodecOptions Options(int pick) => pick switch
    {
        0 => CodecOptions.Modern,
        1 => CodecOptions.Default,
        2 => AddPathBoth,
        3 => CodecOptions.Default with { AddPathReceive = AddPathFamilies.IPv4Unicast, ExternalPeer = true },
        _ => CodecOptions.Modern with { ExternalPeer = true },
    };

    /// <summary>Most random inputs would die at the marker check; give most of them a valid marker and a plausible header.</summary>
    private static byte[] WithMarker(byte[] body, int pick)
    {
        if (pick == 4 || body.Length == 0)
        {
            return body;
        }
        var bytes = new byte[BgpHeader.Length + body.Length];
        bytes.AsSpan(0, 16).Fill(0xFF);
        var length = pick == 3 ? body[0] * 256 + body[^1] : bytes.Length;
        bytes[16] = (byte)(length >> 8);
        bytes[17] = (byte)length;
        bytes[18] = (byte)(1 + (body[0] % 5));
        body.CopyTo(bytes, BgpHeader.Length);
        return bytes;
    }

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int split)
    {
        if (split <= 0 || split >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        var first = new Segment(bytes.AsMemory(0, split), 0);
        var last = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Reads messages until the stream ends or breaks, checking the reader only ever moves forward within the input.</summary>
    private static void DecodeAll(byte[] bytes, CodecOptions options, int split)
    {
        var sequence = Segments(bytes, split);
        for (var guard = 0; guard < 1000; guard++)
        {
            var before = sequence.Length;
            var status = MessageReader.TryRead(ref sequence, options, out var message, out var error);
            Assert.True(sequence.Length <= before);
            if (status != OperationStatus.Done)
            {
                Assert.True(status == OperationStatus.NeedMoreData || error.Action == ErrorAction.SessionReset, $"{status} {error}");
                return;
            }
            Assert.NotNull(message);
            Assert.NotEqual(ErrorAction.SessionReset, error.Action);
            if (sequence.Length == before)
            {
                Assert.Fail("Done without consuming input");
            }
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
