using BgpLb.BfdSession.Wire;
using CsCheck;
using Xunit;

namespace BgpLb.BfdSession.Tests.Wire;

/// <summary>CsCheck properties of the codec: round trip, totality (typed reasons only), no allocation.</summary>
public sealed class PacketPropertyTests
{
    private static readonly Gen<BfdAuthKey?> Keys = Gen.OneOf(
        Gen.Const((BfdAuthKey?)null),
        Gen.Select(Gen.Int[1, 5], Gen.Byte, Gen.Byte.Array[1, 16], (t, id, secret) => (BfdAuthKey?)new BfdAuthKey((BfdAuthType)t, id, secret)),
        Gen.Select(Gen.Int[4, 5], Gen.Byte, Gen.Byte.Array[17, 20], (t, id, secret) => (BfdAuthKey?)new BfdAuthKey((BfdAuthType)t, id, secret)));

    /// <summary>Packets the reader accepts (Detect Mult, My Discriminator nonzero, M clear) with an optional key.</summary>
    private static readonly Gen<(BfdControlPacket Packet, BfdAuthKey? Key)> Packets =
        Gen.Select(Gen.Int[0, 31], Gen.Int[0, 3], Gen.Int[0, 31], Gen.Byte[1, 255], Gen.UInt[1, uint.MaxValue], Gen.UInt, Gen.UInt, Gen.UInt,
            Gen.Select(Gen.UInt, Gen.UInt, Keys, (echo, seq, key) => (echo, seq, key)),
            (diag, state, flags, mult, my, your, tx, rx, rest) =>
            {
                var packet = new BfdControlPacket
                {
                    Version = BfdControlPacket.ProtocolVersion,
                    Diagnostic = (BfdDiagnostic)diag,
                    State = (BfdState)state,
                    Poll = (flags & 1) != 0,
                    Final = (flags & 2) != 0,
                    ControlPlaneIndependent = (flags & 4) != 0,
                    Demand = (flags & 8) != 0,
                    AuthenticationPresent = rest.key is not null,
                    DetectMultiplier = mult,
                    MyDiscriminator = my,
                    YourDiscriminator = your,
                    DesiredMinTxInterval = tx,
                    RequiredMinRxInterval = rx,
                    RequiredMinEchoRxInterval = rest.echo,
                    Auth = rest.key?.Section(rest.seq) ?? default,
                };
                return (packet with { Length = (byte)BfdPacketWriter.Measure(packet) }, rest.key);
            });

    [Fact]
    public void Decode_of_encode_is_identity_and_the_signature_verifies() =>
        Packets.Sample(x =>
        {
            var buffer = new byte[BfdControlPacket.MaxWrittenLength];
            Assert.True(BfdPacketWriter.TryWrite(x.Packet, x.Key, buffer, out var n));
            Assert.True(BfdPacketReader.TryRead(buffer.AsSpan(0, n), out var decoded, out var reason), reason.ToString());
            Assert.Equal(x.Packet, decoded);
            if (x.Key is not null)
            {
                Assert.Equal(BfdDropReason.None, BfdAuthenticator.Verify(buffer.AsSpan(0, n), decoded.Auth, x.Key));
            }
        }, iter: 5000);

    [Fact]
    public void Any_bit_flipped_in_a_signed_packet_is_caught()
    {
        var signed = Packets.Where(x => x.Key is { Type: not BfdAuthType.SimplePassword });
        Gen.Select(signed, Gen.Int[0, 10_000], (x, at) => (x.Packet, x.Key, at)).Sample(x =>
        {
            var buffer = new byte[BfdControlPacket.MaxWrittenLength];
            BfdPacketWriter.TryWrite(x.Packet, x.Key, buffer, out var n);
            var bit = x.at % (n * 8);
            buffer[bit / 8] ^= (byte)(1 << (bit % 8));
            // Either the reader rejects the shape or the digest no longer matches (or, for bits of
            // the section header, the type / key ID differs): never accepted as the same key's packet.
            if (BfdPacketReader.TryRead(buffer.AsSpan(0, n), out var decoded, out _) && decoded.AuthenticationPresent)
            {
                Assert.NotEqual(BfdDropReason.None, BfdAuthenticator.Verify(buffer.AsSpan(0, decoded.Length), decoded.Auth, x.Key!));
            }
        }, iter: 5000);
    }

    /// <summary>Any bytes: a packet or a named reason, never an exception; a rejection leaves the packet default.</summary>
    [Fact]
    public void Random_bytes_give_a_packet_or_a_named_reason() =>
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            var ok = BfdPacketReader.TryRead(bytes, out var packet, out var reason);
            Assert.Equal(ok, reason == BfdDropReason.None);
            Assert.True(Enum.IsDefined(reason));
            if (!ok)
            {
                Assert.Equal(default, packet);
            }
            else
            {
                Assert.InRange(packet.Length, BfdControlPacket.MandatoryLength, bytes.Length);
            }
        }, iter: 50_000);

    /// <summary>Valid packets with a byte changed or cut short: still total, and the reason is one of the reader's.</summary>
    [Fact]
    public void Mutated_packets_give_a_packet_or_a_named_reason() =>
        Gen.Select(Packets, Gen.Int[0, 1000], Gen.Byte, Gen.Bool, (x, at, value, truncate) => (x.Packet, x.Key, at, value, truncate)).Sample(x =>
        {
            var buffer = new byte[BfdControlPacket.MaxWrittenLength];
            BfdPacketWriter.TryWrite(x.Packet, x.Key, buffer, out var n);
            var i = x.at % n;
            var input = x.truncate ? buffer.AsSpan(0, i) : buffer.AsSpan(0, n);
            if (!x.truncate)
            {
                input[i] = x.value;
            }
            var ok = BfdPacketReader.TryRead(input, out _, out var reason);
            Assert.Equal(ok, reason == BfdDropReason.None);
            Assert.True(reason <= BfdDropReason.UnknownAuthType, reason.ToString());
        }, iter: 20_000);

    [Fact]
    public void Reading_and_verifying_allocate_nothing()
    {
        var key = new BfdAuthKey(BfdAuthType.MeticulousKeyedSha1, 1, "secret"u8);
        var packet = new BfdControlPacket { Version = 1, State = BfdState.Up, DetectMultiplier = 3, MyDiscriminator = 1, AuthenticationPresent = true, Auth = key.Section(1) };
        var buffer = new byte[BfdControlPacket.MaxWrittenLength];
        BfdPacketWriter.TryWrite(packet, key, buffer, out var n);
        var garbage = new byte[64];
        new Random(1).NextBytes(garbage);
        // Warm up (JIT, crypto providers), then measure.
        for (var i = 0; i < 100; i++)
        {
            BfdPacketReader.TryRead(buffer.AsSpan(0, n), out var p, out _);
            BfdAuthenticator.Verify(buffer.AsSpan(0, n), p.Auth, key);
            BfdPacketWriter.TryWrite(packet, key, buffer, out _);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            BfdPacketReader.TryRead(buffer.AsSpan(0, n), out var p, out _);
            BfdAuthenticator.Verify(buffer.AsSpan(0, n), p.Auth, key);
            BfdPacketReader.TryRead(garbage, out _, out _);
            BfdPacketWriter.TryWrite(packet, key, buffer, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
