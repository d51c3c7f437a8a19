using System.Collections.Immutable;
using System.Text;
using BgpLb.L2Fallback.Liveness;
using CsCheck;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Liveness;

public class LivenessCodecTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("a shared key of 32 octets, test.");

    private static LivenessMessage Heartbeat() =>
        new(LivenessMessageType.Heartbeat, "n1", 1_795_000_000_000, 42, 1_795_000_000_001, new MemberEntry("n2", 7, MemberStatus.Dead), []);

    [Fact]
    public void Heartbeat_round_trips()
    {
        var message = Heartbeat();
        Assert.Equal(LivenessDecodeError.None, LivenessCodec.TryDecode(LivenessCodec.Encode(message, Key), Key, out var back));
        Assert.Equal(message, back);
    }

    [Fact]
    public void Update_round_trips()
    {
        var message = new LivenessMessage(LivenessMessageType.Update, "nœud-1", 5, 6, 7, default,
            [new MemberEntry("n2", 1, MemberStatus.Alive), new MemberEntry("n3", 2, MemberStatus.Dead)]);
        Assert.Equal(LivenessDecodeError.None, LivenessCodec.TryDecode(LivenessCodec.Encode(message, Key), Key, out var back));
        Assert.Equal(message, back);
    }

    [Fact]
    public void A_wrong_key_fails_authentication()
    {
        var bytes = LivenessCodec.Encode(Heartbeat(), Key);
        Assert.Equal(LivenessDecodeError.BadAuthentication, LivenessCodec.TryDecode(bytes, Encoding.ASCII.GetBytes("another key, also 32 octets long"), out _));
    }

    [Fact]
    public void Any_flipped_bit_fails_authentication() =>
        Gen.Int[0, LivenessCodec.Encode(Heartbeat(), Key).Length * 8 - 1].Sample(bit =>
        {
            var bytes = LivenessCodec.Encode(Heartbeat(), Key);
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            return LivenessCodec.TryDecode(bytes, Key, out _) == LivenessDecodeError.BadAuthentication;
        });

    [Fact]
    public void Any_bytes_give_a_message_or_a_typed_error_without_throwing() =>
        Gen.Byte.Array[0, 200].Sample(bytes => Enum.IsDefined(LivenessCodec.TryDecode(bytes, Key, out _)));

    [Fact]
    public void Validly_signed_garbage_gives_a_typed_error_without_throwing() =>
        Gen.Byte.Array[0, 120].Sample(body =>
        {
            // Sign arbitrary bodies so decoding goes past the tag check into the fields.
            var tagged = body.Concat(System.Security.Cryptography.HMACSHA256.HashData(Key, body)).ToArray();
            return Enum.IsDefined(LivenessCodec.TryDecode(tagged, Key, out _));
        });

    private static readonly Gen<string> GenName = Gen.Char['a', 'z'].Array[1, 30].Select(c => new string(c));
    private static readonly Gen<MemberEntry> GenEntry = Gen.Select(GenName, Gen.ULong, Gen.Enum<MemberStatus>())
        .Select((n, i, s) => new MemberEntry(n, i, s));

    [Fact]
    public void Decode_of_encode_is_identity() =>
        Gen.Select(GenName, Gen.ULong, Gen.ULong, Gen.ULong, GenEntry.Array[0, 20])
            .Select((sender, epoch, seq, inc, entries) => new LivenessMessage(LivenessMessageType.Update, sender, epoch, seq, inc, default, [.. entries]))
            .Sample(m => LivenessCodec.TryDecode(LivenessCodec.Encode(m, Key), Key, out var back) == LivenessDecodeError.None && back == m);
}
