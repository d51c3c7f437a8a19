using BgpLb.BfdSession.Wire;
using Xunit;

namespace BgpLb.BfdSession.Tests.Wire;

/// <summary>Each check of RFC 5880 §6.8.6 that needs only the packet, and the §4.2–§4.4 section shapes, by name.</summary>
public sealed class MalformedPacketTests
{
    // A valid Down packet: Vers 1, Sta Down, Detect Mult 3, Length 24, My Discriminator 1.
    private const string Valid = "20400318" + "00000001" + "00000000" + "000F4240" + "000F4240" + "00000000";

    [Theory]
    [InlineData("", BfdDropReason.Truncated)]
    [InlineData("204003", BfdDropReason.Truncated)]
    [InlineData("40400318" + "0000000100000000000000000000000000000000", BfdDropReason.UnsupportedVersion)]
    [InlineData("00400318" + "0000000100000000000000000000000000000000", BfdDropReason.UnsupportedVersion)]
    [InlineData("20400317" + "0000000100000000000000000000000000000000", BfdDropReason.LengthTooSmall)]
    [InlineData("20440319" + "0000000100000000000000000000000000000000", BfdDropReason.LengthTooSmall)]
    [InlineData("20400319" + "0000000100000000000000000000000000000000", BfdDropReason.LengthExceedsPayload)]
    [InlineData("20400018" + "0000000100000000000000000000000000000000", BfdDropReason.ZeroDetectMultiplier)]
    [InlineData("20410318" + "0000000100000000000000000000000000000000", BfdDropReason.MultipointSet)]
    [InlineData("20400318" + "0000000000000000000000000000000000000000", BfdDropReason.ZeroMyDiscriminator)]
    // A bit, Length 28, but Auth Len 5 runs past it.
    [InlineData("2044031C" + "0000000100000000000000000000000000000000" + "01050161", BfdDropReason.MalformedAuthSection)]
    // Simple password of 0 and of 17 octets.
    [InlineData("2044031B" + "0000000100000000000000000000000000000000" + "010301", BfdDropReason.MalformedAuthSection)]
    [InlineData("2044032C" + "0000000100000000000000000000000000000000" + "011401" + "6161616161616161616161616161616161", BfdDropReason.MalformedAuthSection)]
    // Keyed MD5 with Auth Len 28 (SHA1's) and keyed SHA1 with 24 (MD5's).
    [InlineData("20440334" + "0000000100000000000000000000000000000000" + "021C0100" + "00000001" + "0000000000000000000000000000000000000000", BfdDropReason.MalformedAuthSection)]
    [InlineData("20440330" + "0000000100000000000000000000000000000000" + "04180100" + "00000001" + "00000000000000000000000000000000", BfdDropReason.MalformedAuthSection)]
    // Auth Type 0 and 6.
    [InlineData("2044031C" + "0000000100000000000000000000000000000000" + "00040100", BfdDropReason.UnknownAuthType)]
    [InlineData("2044031C" + "0000000100000000000000000000000000000000" + "06040100", BfdDropReason.UnknownAuthType)]
    public void Malformed_packet_is_dropped_with_its_reason(string hex, BfdDropReason expected)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.False(BfdPacketReader.TryRead(bytes, out _, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Octets_beyond_length_are_ignored()
    {
        Assert.True(BfdPacketReader.TryRead(Convert.FromHexString(Valid + "DEADBEEF"), out var packet, out _));
        Assert.Equal(24, packet.Length);
    }

    [Fact]
    public void The_reference_packet_is_valid() => Assert.True(BfdPacketReader.TryRead(Convert.FromHexString(Valid), out _, out _));

    [Theory]
    [InlineData(BfdAuthType.SimplePassword, 17)]
    [InlineData(BfdAuthType.KeyedMd5, 17)]
    [InlineData(BfdAuthType.KeyedSha1, 21)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, 0)]
    [InlineData(BfdAuthType.None, 4)]
    public void Keys_outside_the_rfc_sizes_are_refused(BfdAuthType type, int length) =>
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new BfdAuthKey(type, 1, new byte[length]));
}
