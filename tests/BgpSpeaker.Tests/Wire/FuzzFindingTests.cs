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
}
