using System.Buffers;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Support;

internal static class Codec
{
    /// <summary>Decodes one whole message and insists it is valid.</summary>
    public static BgpMessage Decode(byte[] bytes, CodecOptions? options = null)
    {
        var status = MessageReader.TryRead(bytes, options ?? CodecOptions.Modern, out var message, out var error);
        Assert.True(status == OperationStatus.Done, $"{status}: {error}");
        Assert.Equal(ErrorAction.None, error.Action);
        return message!;
    }

    public static T Decode<T>(byte[] bytes, CodecOptions? options = null) where T : BgpMessage =>
        Assert.IsType<T>(Decode(bytes, options));

    public static byte[] Encode(BgpMessage message, CodecOptions? options = null) =>
        MessageWriter.ToArray(message, options ?? CodecOptions.Modern);

    /// <summary>Splits a path attribute section into (flags, type, value) triples, independently of the codec.</summary>
    public static List<(byte Flags, byte Type, string Value)> SplitAttributes(byte[] update)
    {
        var body = update.AsSpan(19);
        var withdrawn = (body[0] << 8) | body[1];
        var attributesLength = (body[2 + withdrawn] << 8) | body[3 + withdrawn];
        var attributes = body.Slice(4 + withdrawn, attributesLength);
        var result = new List<(byte, byte, string)>();
        while (!attributes.IsEmpty)
        {
            var extended = (attributes[0] & 0x10) != 0;
            var length = extended ? (attributes[2] << 8) | attributes[3] : attributes[2];
            var header = extended ? 4 : 3;
            result.Add((attributes[0], attributes[1], Convert.ToHexStringLower(attributes.Slice(header, length))));
            attributes = attributes[(header + length)..];
        }
        return result;
    }
}
