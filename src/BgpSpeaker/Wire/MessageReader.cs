using System.Buffers;
using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Frames and decodes BGP messages from a byte stream. Total: any input gives a status, never an
/// exception. The header (marker, length, type) is checked before waiting for the body, so a peer
/// cannot make us buffer more than the negotiated maximum.
/// </summary>
public static class MessageReader
{
    /// <summary>
    /// Reads one message from the front of <paramref name="input"/>.
    /// <list type="bullet">
    /// <item><see cref="OperationStatus.NeedMoreData"/>: not a whole message yet; nothing consumed.</item>
    /// <item><see cref="OperationStatus.Done"/>: <paramref name="message"/> is set and consumed from
    /// <paramref name="input"/>. For an UPDATE, <paramref name="error"/> may still carry an RFC 7606
    /// attribute-discard or treat-as-withdraw outcome that the session must apply.</item>
    /// <item><see cref="OperationStatus.InvalidData"/>: <paramref name="error"/> is a session reset with the
    /// NOTIFICATION to send; the stream is no longer in sync.</item>
    /// </list>
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> input, CodecOptions options, out BgpMessage? message, out BgpError error)
    {
        message = null;
        var status = TryReadHeader(input, options, out var length, out var type, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        var whole = input.Slice(0, length);
        if (whole.IsSingleSegment)
        {
            status = DecodeMessage(whole.FirstSpan, type, options, out message, out error);
        }
        else
        {
            // A body split across segments is copied once so that every decoder has one loop.
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                whole.CopyTo(rented);
                status = DecodeMessage(rented.AsSpan(0, length), type, options, out message, out error);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        input = input.Slice(length);
        return status;
    }

    /// <summary>Decodes exactly one whole message held in <paramref name="message"/>.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> message, CodecOptions options, out BgpMessage? decoded, out BgpError error)
    {
        decoded = null;
        if (message.Length < BgpHeader.Length)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageLength, BgpErrorReason.MessageTooShort, default);
            return OperationStatus.InvalidData;
        }
        var status = CheckHeader(message[..BgpHeader.Length], options, out var length, out var type, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        if (length != message.Length)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageLength, BgpErrorReason.BadLengthForType, message.Slice(BgpHeader.LengthOffset, 2));
            return OperationStatus.InvalidData;
        }
        return DecodeMessage(message, type, options, out decoded, out error);
    }

    /// <summary>
    /// Validates the header at the front of <paramref name="input"/> (RFC 4271 §6.1, RFC 8654 §3)
    /// and reports the message length; NeedMoreData until the whole message is buffered.
    /// </summary>
    public static OperationStatus TryReadHeader(in ReadOnlySequence<byte> input, CodecOptions options, out int length, out BgpMessageType type, out BgpError error)
    {
        length = 0;
        type = default;
        error = default;
        if (input.Length < BgpHeader.Length)
        {
            return OperationStatus.NeedMoreData;
        }
        Span<byte> header = stackalloc byte[BgpHeader.Length];
        input.Slice(0, BgpHeader.Length).CopyTo(header);
        var status = CheckHeader(header, options, out length, out type, out error);
        return status == OperationStatus.Done && input.Length < length ? OperationStatus.NeedMoreData : status;
    }

    private static OperationStatus CheckHeader(ReadOnlySpan<byte> header, CodecOptions options, out int length, out BgpMessageType type, out BgpError error)
    {
        error = default;
        length = 0;
        type = default;

        // RFC 4271 §6.1: a marker that is not all ones means the connection is not synchronized.
        if (header[..BgpHeader.MarkerLength].IndexOfAnyExcept((byte)0xFF) >= 0)
        {
            error = BgpError.Header(MessageHeaderSubcode.ConnectionNotSynchronized, BgpErrorReason.BadMarker, default);
            return OperationStatus.InvalidData;
        }
        var lengthField = header.Slice(BgpHeader.LengthOffset, 2);
        length = BinaryPrimitives.ReadUInt16BigEndian(lengthField);
        type = (BgpMessageType)header[BgpHeader.TypeOffset];

        // RFC 4271 §6.1: length out of range -> Bad Message Length, data = the length field.
        if (length < BgpHeader.Length)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageLength, BgpErrorReason.MessageTooShort, lengthField);
            return OperationStatus.InvalidData;
        }
        // RFC 8654 §3: OPEN and KEEPALIVE never exceed 4096, whatever was negotiated.
        var max = type is BgpMessageType.Open or BgpMessageType.Keepalive ? BgpHeader.MaxMessageLength : options.MaxMessageLength;
        if (length > max)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageLength, BgpErrorReason.MessageTooLong, lengthField);
            return OperationStatus.InvalidData;
        }
        // RFC 4271 §6.1: unknown type -> Bad Message Type, data = the type octet.
        if (type is < BgpMessageType.Open or > BgpMessageType.RouteRefresh)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageType, BgpErrorReason.UnknownMessageType, header.Slice(BgpHeader.TypeOffset, 1));
            return OperationStatus.InvalidData;
        }
        // RFC 4271 §6.1: too short for its type (KEEPALIVE: exactly 19). ROUTE-REFRESH length
        // errors are RFC 7313 §5's own code, reported by its decoder.
        var badLength = type == BgpMessageType.Keepalive ? length != BgpHeader.Length
            : type != BgpMessageType.RouteRefresh && length < BgpHeader.MinLength(type);
        if (badLength)
        {
            error = BgpError.Header(MessageHeaderSubcode.BadMessageLength, BgpErrorReason.BadLengthForType, lengthField);
            return OperationStatus.InvalidData;
        }
        return OperationStatus.Done;
    }

    private static OperationStatus DecodeMessage(ReadOnlySpan<byte> message, BgpMessageType type, CodecOptions options, out BgpMessage? decoded, out BgpError error)
    {
        var body = message[BgpHeader.Length..];
        decoded = null;
        error = default;
        switch (type)
        {
            case BgpMessageType.Keepalive:
                decoded = KeepaliveMessage.Instance;
                break;
            case BgpMessageType.Open:
                decoded = OpenReader.TryDecode(body, out error);
                break;
            case BgpMessageType.Update:
                decoded = UpdateReader.TryDecode(body, options, out error);
                break;
            case BgpMessageType.Notification:
                decoded = new NotificationMessage((BgpErrorCode)body[0], body[1], body[2..].ToArray());
                break;
            case BgpMessageType.RouteRefresh:
                decoded = DecodeRouteRefresh(message, out error);
                break;
        }
        return decoded is null ? OperationStatus.InvalidData : OperationStatus.Done;
    }

    private static RouteRefreshMessage? DecodeRouteRefresh(ReadOnlySpan<byte> message, out BgpError error)
    {
        // RFC 7313 §5: a ROUTE-REFRESH of any length but 23 -> code 7 subcode 1, data = the message.
        if (message.Length != BgpHeader.Length + RouteRefreshMessage.BodyLength)
        {
            error = BgpError.Reset(BgpErrorCode.RouteRefresh, (byte)RouteRefreshSubcode.InvalidMessageLength, BgpErrorReason.RouteRefreshLengthInvalid, message);
            return null;
        }
        error = default;
        var body = message[BgpHeader.Length..];
        return new RouteRefreshMessage((Afi)BinaryPrimitives.ReadUInt16BigEndian(body), (RouteRefreshSubtype)body[2], (Safi)body[3]);
    }
}
