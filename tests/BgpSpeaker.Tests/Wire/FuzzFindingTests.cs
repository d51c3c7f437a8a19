using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Wire;

/// <summary>Inputs AFL++ found (docs/fuzzing.md), minimized; each once broke the round trip.</summary>
public sealed class FuzzFindingTests
{
    private static UpdateMessage DecodeUpdate(string file, out BgpError error)
    {
        var status = MessageReader.TryRead(VectorFile.Load($"malformed/{file}"), CodecOptions.Default, out var message, out error);
        Assert.Equal(System.Buffers.OperationStatus.Done, status);
        return Assert.IsType<UpdateMessage>(message);
    }

    [Theory]
    [InlineData("fuzz-mp-reach-ipv4-with-ipv6-next-hop.hex")]
    [InlineData("fuzz-mp-reach-ipv4-with-ipv6-link-local-next-hop.hex")]
    public void Ipv4_routes_with_an_ipv6_next_hop_reencode_with_that_next_hop(string file)
    {
        var update = DecodeUpdate(file, out var error);
        Assert.Equal(ErrorAction.None, error.Action);
        Assert.Equal(AfiSafi.IPv4Unicast, update.Attributes.MpReach!.Family);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, update.Attributes.MpReach.NextHop.AddressFamily);
        Assert.Equal(update, Codec.Decode(Codec.Encode(update, CodecOptions.Default), CodecOptions.Default));
    }

    [Fact]
    public void As_zero_in_as4_path_discards_it_instead_of_merging_it()
    {
        var update = DecodeUpdate("fuzz-as4-path-with-as-zero.hex", out var error);
        Assert.Equal(ErrorAction.AttributeDiscard, error.Action);
        Assert.Equal(BgpErrorReason.AsZero, error.Reason);
        Assert.Equal(AsPath.Sequence(5974, 59905), update.Attributes.AsPath);
        Assert.Equal(update, Codec.Decode(Codec.Encode(update, CodecOptions.Default), CodecOptions.Default));
    }

    [Fact]
    public void Unknown_attributes_in_any_order_decode_to_the_same_value()
    {
        var update = DecodeUpdate("fuzz-unknown-attribute-order.hex", out _);
        Assert.Equal(new byte[] { 0xF0, 0xFA }, update.Attributes.Other.Select(a => a.TypeCode));
        Assert.Equal(update, Codec.Decode(Codec.Encode(update, CodecOptions.Default), CodecOptions.Default));
    }

    [Fact]
    public void A_two_octet_aggregator_travels_as_as_trans_when_the_path_needs_as4_path()
    {
        // Found by AFL++ (fuzz-crash-17218a54be83239e.bin and two more): AGGREGATOR 100 with a
        // 4-octet path made the receiver ignore AS4_PATH (RFC 6793 §4.2.3) and keep AS_TRANS.
        var attributes = new PathAttributes
        {
            Origin = Origin.Igp,
            AsPath = AsPath.Sequence(65001, 4200000001, 4200000002),
            NextHop = System.Net.IPAddress.Parse("192.0.2.1"),
            Aggregator = new Aggregator(100, 0xC0000209),
        };
        var update = new UpdateMessage(default, attributes, new[] { new Nlri(IpPrefix.Parse("198.18.0.1/32")) });
        var bytes = Codec.Encode(update, CodecOptions.Default);
        var split = Codec.SplitAttributes(bytes);
        Assert.Contains(split, a => a.Type == (byte)AttributeType.Aggregator && a.Value.StartsWith("5ba0", StringComparison.Ordinal));
        Assert.Contains(split, a => a.Type == (byte)AttributeType.As4Aggregator && a.Value == "00000064c0000209");
        Assert.Equal(update, Codec.Decode(bytes, CodecOptions.Default));
    }
}
