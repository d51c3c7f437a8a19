using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// Heartbeat datagrams, big-endian:
/// <code>
/// +---------+---------+-------------------+
/// | ver (1) | type (1)| reserved (2)      |
/// +---------+---------+-------------------+
/// | epoch (8) | sequence (8) | sender incarnation (8) |
/// | sender name: length (1), UTF-8        |
/// | heartbeat: receiver entry             |  entry = name length (1), name, incarnation (8), status (1)
/// | update:    count (1), entries         |
/// | HMAC-SHA256 (32) of all of the above  |
/// </code>
/// The tag is checked before any field is trusted; decoding is total.
/// </summary>
internal static class LivenessCodec
{
    public const byte Version = 1;
    public const int TagLength = 32;
    public const int MaxDatagram = 1200;
    public const int MaxEntriesPerUpdate = byte.MaxValue;
    private const int HeaderLength = 4 + 8 + 8 + 8;
    private const int EntryFixedLength = 1 + 8 + 1;

    public static int EntryLength(in MemberEntry entry) => EntryFixedLength + Encoding.UTF8.GetByteCount(entry.Name);

    public static int HeaderAndTagLength(string sender) => HeaderLength + 1 + Encoding.UTF8.GetByteCount(sender) + TagLength;

    public static byte[] Encode(LivenessMessage message, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(message);
        var length = HeaderAndTagLength(message.Sender) + (message.Type == LivenessMessageType.Heartbeat
            ? EntryLength(message.ReceiverView)
            : 1 + message.Entries.Sum(e => EntryLength(e)));
        if (message.Entries.Length > MaxEntriesPerUpdate)
        {
            throw new ArgumentException($"An update carries at most {MaxEntriesPerUpdate} entries, not {message.Entries.Length}.", nameof(message));
        }
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        span[0] = Version;
        span[1] = (byte)message.Type;
        BinaryPrimitives.WriteUInt64BigEndian(span[4..], message.Epoch);
        BinaryPrimitives.WriteUInt64BigEndian(span[12..], message.Sequence);
        BinaryPrimitives.WriteUInt64BigEndian(span[20..], message.SenderIncarnation);
        var at = HeaderLength;
        at += WriteName(message.Sender, span[at..]);
        if (message.Type == LivenessMessageType.Heartbeat)
        {
            at += WriteEntry(message.ReceiverView, span[at..]);
        }
        else
        {
            span[at++] = (byte)message.Entries.Length;
            foreach (var entry in message.Entries)
            {
                at += WriteEntry(entry, span[at..]);
            }
        }
        HMACSHA256.HashData(key, span[..at], span[at..]);
        return bytes;
    }

    public static LivenessDecodeError TryDecode(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out LivenessMessage? message)
    {
        message = null;
        if (datagram.Length < HeaderLength + 1 + TagLength)
        {
            return LivenessDecodeError.Truncated;
        }
        var signed = datagram[..^TagLength];
        Span<byte> tag = stackalloc byte[TagLength];
        HMACSHA256.HashData(key, signed, tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, datagram[^TagLength..]))
        {
            return LivenessDecodeError.BadAuthentication;
        }
        if (signed[0] != Version)
        {
            return LivenessDecodeError.UnsupportedVersion;
        }
        var type = (LivenessMessageType)signed[1];
        if (type is not (LivenessMessageType.Heartbeat or LivenessMessageType.Update))
        {
            return LivenessDecodeError.UnknownType;
        }
        var epoch = BinaryPrimitives.ReadUInt64BigEndian(signed[4..]);
        var sequence = BinaryPrimitives.ReadUInt64BigEndian(signed[12..]);
        var incarnation = BinaryPrimitives.ReadUInt64BigEndian(signed[20..]);
        var rest = signed[HeaderLength..];
        var error = ReadName(ref rest, out var sender);
        if (error != LivenessDecodeError.None)
        {
            return error;
        }
        MemberEntry receiverView = default;
        var entries = ImmutableArray<MemberEntry>.Empty;
        if (type == LivenessMessageType.Heartbeat)
        {
            error = ReadEntry(ref rest, out receiverView);
        }
        else if (rest.IsEmpty)
        {
            error = LivenessDecodeError.Truncated;
        }
        else
        {
            var count = rest[0];
            rest = rest[1..];
            var builder = ImmutableArray.CreateBuilder<MemberEntry>(count);
            for (var i = 0; i < count && error == LivenessDecodeError.None; i++)
            {
                error = ReadEntry(ref rest, out var entry);
                builder.Add(entry);
            }
            entries = builder.MoveToImmutable();
        }
        if (error != LivenessDecodeError.None)
        {
            return error;
        }
        if (!rest.IsEmpty)
        {
            return LivenessDecodeError.TrailingData;
        }
        message = new LivenessMessage(type, sender!, epoch, sequence, incarnation, receiverView, entries);
        return LivenessDecodeError.None;
    }

    private static int WriteName(string name, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetBytes(name, destination[1..]);
        if (length is 0 or > byte.MaxValue)
        {
            throw new ArgumentException($"A node name must be 1 to 255 UTF-8 octets: \"{name}\".", nameof(name));
        }
        destination[0] = (byte)length;
        return 1 + length;
    }

    private static int WriteEntry(in MemberEntry entry, Span<byte> destination)
    {
        var at = WriteName(entry.Name, destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[at..], entry.Incarnation);
        destination[at + 8] = (byte)entry.Status;
        return at + 9;
    }

    private static LivenessDecodeError ReadName(ref ReadOnlySpan<byte> source, out string? name)
    {
        name = null;
        if (source.IsEmpty || source.Length < 1 + source[0])
        {
            return LivenessDecodeError.Truncated;
        }
        var bytes = source.Slice(1, source[0]);
        source = source[(1 + bytes.Length)..];
        if (bytes.IsEmpty)
        {
            return LivenessDecodeError.BadName;
        }
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return LivenessDecodeError.BadName;
        }
        return LivenessDecodeError.None;
    }

    private static LivenessDecodeError ReadEntry(ref ReadOnlySpan<byte> source, out MemberEntry entry)
    {
        entry = default;
        var error = ReadName(ref source, out var name);
        if (error != LivenessDecodeError.None)
        {
            return error;
        }
        if (source.Length < 9)
        {
            return LivenessDecodeError.Truncated;
        }
        var status = source[8];
        if (status > (byte)MemberStatus.Dead)
        {
            return LivenessDecodeError.BadStatus;
        }
        entry = new MemberEntry(name!, BinaryPrimitives.ReadUInt64BigEndian(source), (MemberStatus)status);
        source = source[9..];
        return LivenessDecodeError.None;
    }
}
