using BgpLb.BfdSession.Tests.Support;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Support;
using Xunit;

namespace BgpLb.BfdSession.Tests.Wire;

/// <summary>Hand-derived vectors (Vectors/rfc, each commented with its RFC 5880 derivation): decode to the expected record, re-encode to the same octets.</summary>
public sealed class RfcVectorTests
{
    private static readonly BfdControlPacket Base = new() { Version = 1, Length = 24 };

    public static TheoryData<string, BfdControlPacket> Expected => new()
    {
        { "rfc/down-first-packet.hex", Base with
            {
                State = BfdState.Down, DetectMultiplier = 3, MyDiscriminator = 1, YourDiscriminator = 0,
                DesiredMinTxInterval = 1_000_000, RequiredMinRxInterval = 300_000,
            } },
        { "rfc/up-poll-diag1.hex", Base with
            {
                State = BfdState.Up, Poll = true, Diagnostic = BfdDiagnostic.ControlDetectionTimeExpired, DetectMultiplier = 5,
                MyDiscriminator = 0xDEADBEEF, YourDiscriminator = 0x01020304, DesiredMinTxInterval = 10_000, RequiredMinRxInterval = 20_000,
            } },
        { "rfc/admindown-final-c-d.hex", Base with
            {
                State = BfdState.AdminDown, Diagnostic = BfdDiagnostic.AdministrativelyDown, Final = true, ControlPlaneIndependent = true,
                Demand = true, DetectMultiplier = 255, MyDiscriminator = uint.MaxValue, YourDiscriminator = uint.MaxValue,
                DesiredMinTxInterval = uint.MaxValue, RequiredMinRxInterval = 0, RequiredMinEchoRxInterval = uint.MaxValue,
            } },
        { "rfc/init-simple-password.hex", Base with
            {
                State = BfdState.Init, AuthenticationPresent = true, DetectMultiplier = 3, Length = 32,
                MyDiscriminator = 0x11223344, YourDiscriminator = 0x55667788, DesiredMinTxInterval = 1_000_000, RequiredMinRxInterval = 50_000,
                Auth = new BfdAuthSection(BfdAuthType.SimplePassword, 8, 2, 0),
            } },
        { "rfc/up-keyed-md5.hex", Base with
            {
                State = BfdState.Up, AuthenticationPresent = true, DetectMultiplier = 3, Length = 48,
                MyDiscriminator = 0xA1A2A3A4, YourDiscriminator = 0xB1B2B3B4, DesiredMinTxInterval = 50_000, RequiredMinRxInterval = 50_000,
                Auth = new BfdAuthSection(BfdAuthType.KeyedMd5, 24, 9, 42),
            } },
        { "rfc/up-meticulous-keyed-sha1.hex", Base with
            {
                State = BfdState.Up, AuthenticationPresent = true, DetectMultiplier = 3, Length = 52,
                MyDiscriminator = 0xA1A2A3A4, YourDiscriminator = 0xB1B2B3B4, DesiredMinTxInterval = 50_000, RequiredMinRxInterval = 50_000,
                Auth = new BfdAuthSection(BfdAuthType.MeticulousKeyedSha1, 28, 9, 42),
            } },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Vector_decodes_to_the_hand_derived_packet_and_re_encodes_to_the_same_octets(string vector, BfdControlPacket expected)
    {
        var bytes = VectorFile.Load(vector);
        Assert.True(BfdPacketReader.TryRead(bytes, out var packet, out var reason), reason.ToString());
        Assert.Equal(expected, packet);
        var key = VectorKey.For(vector, packet);
        if (packet.AuthenticationPresent)
        {
            Assert.NotNull(key);
            Assert.Equal(BfdDropReason.None, BfdAuthenticator.Verify(bytes, packet.Auth, key));
        }
        var buffer = new byte[BfdControlPacket.MaxWrittenLength];
        Assert.True(BfdPacketWriter.TryWrite(packet, key, buffer, out var written));
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(buffer, 0, written));
    }
}
