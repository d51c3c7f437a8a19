using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Decodes an UPDATE body (RFC 4271 §4.3) with the revised error handling of RFC 7606: the
/// strongest error found decides between attribute discard, treat-as-withdraw and session reset
/// (§3(h)); a message that is only discard/withdraw-worthy is still returned, whole, so the
/// session can withdraw exactly its NLRI.
/// </summary>
internal static partial class UpdateReader
{
    private const int LengthFieldSize = 2;

    public static UpdateMessage? TryDecode(ReadOnlySpan<byte> body, CodecOptions options, out BgpError error)
    {
        error = default;
        var withdrawnLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        // RFC 4271 §6.3 / RFC 7606 §5.3: lengths that overrun the message leave no way to find
        // the NLRI: Malformed Attribute List, session reset.
        if (LengthFieldSize + withdrawnLength + LengthFieldSize > body.Length)
        {
            error = BgpError.Update(UpdateSubcode.MalformedAttributeList, ErrorAction.SessionReset, BgpErrorReason.WithdrawnLengthOverrun);
            return null;
        }
        var withdrawnField = body.Slice(LengthFieldSize, withdrawnLength);
        var attributesOffset = LengthFieldSize + withdrawnLength + LengthFieldSize;
        var attributesLength = BinaryPrimitives.ReadUInt16BigEndian(body[(attributesOffset - LengthFieldSize)..]);
        if (attributesOffset + attributesLength > body.Length)
        {
            error = BgpError.Update(UpdateSubcode.MalformedAttributeList, ErrorAction.SessionReset, BgpErrorReason.AttributeLengthOverrun);
            return null;
        }
        var attributesField = body.Slice(attributesOffset, attributesLength);
        var nlriField = body[(attributesOffset + attributesLength)..];

        // RFC 7606 §5.3: a malformed Withdrawn Routes or NLRI field -> session reset
        // (RFC 4271 §6.3: Invalid Network Field).
        if (!NlriReader.TryReadAll(withdrawnField, Afi.IPv4, CodecOptions.Has(options.AddPathReceive, Afi.IPv4), out var withdrawn, out var reason) ||
            !NlriReader.TryReadAll(nlriField, Afi.IPv4, CodecOptions.Has(options.AddPathReceive, Afi.IPv4), out var nlri, out reason))
        {
            error = BgpError.Update(UpdateSubcode.InvalidNetworkField, ErrorAction.SessionReset, reason);
            return null;
        }

        var attributes = new AttributeSet(options);
        attributes.Read(attributesField);
        attributes.CheckMandatory(hasNlri: !nlri.IsEmpty);
        error = attributes.Worst;
        if (error.Action == ErrorAction.SessionReset)
        {
            return null;
        }
        return new UpdateMessage(withdrawn, attributes.Build(), nlri);
    }
}
