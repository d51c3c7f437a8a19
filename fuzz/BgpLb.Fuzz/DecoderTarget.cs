using System.Buffers;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Fuzz;

/// <summary>
/// The decoder fuzz target. Input layout:
/// <code>
/// +----------+----------+--------------------------------------+
/// | selector | split    | byte stream as received from a peer  |
/// +----------+----------+--------------------------------------+
/// </code>
/// <c>selector</c> picks the negotiated <see cref="CodecOptions"/> (<see cref="OptionsFor"/>),
/// <c>split</c> where the stream is cut into two pipe segments (0 = all in the second, 255 = all
/// in the first). The stream is read message by message until NeedMoreData or InvalidData, once
/// contiguous and once split; checked properties (any failure throws, which AFL records as a crash):
/// <list type="bullet">
/// <item>TryRead never throws (STYLE: decoders are total).</item>
/// <item>Done consumes exactly the header's length and yields a message; NeedMoreData consumes nothing.</item>
/// <item>The split read decodes the same messages, errors and final status as the contiguous one.</item>
/// <item>Round trip: every decoded message re-encodes (MessageWriter.ToArray) and decodes to an equal record.</item>
/// </list>
/// </summary>
internal static class DecoderTarget
{
    private const int PrefixLength = 2;

    private const byte FourOctetAsnBit = 0x01;
    private const byte AddPathIPv4Bit = 0x02;
    private const byte AddPathIPv6Bit = 0x04;
    private const byte ExtendedMessageBit = 0x08;
    private const byte ExternalPeerBit = 0x10;

    /// <summary>At most this many messages per input (a 64 KiB input holds at most 3,449 KEEPALIVEs).</summary>
    private const int MaxMessages = 4096;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < PrefixLength)
        {
            return;
        }
        var options = OptionsFor(input[0]);
        var stream = input[PrefixLength..];
        var split = (int)((long)stream.Length * input[1] / byte.MaxValue);

        var contiguous = ReadAll(new ReadOnlySequence<byte>(stream.ToArray()), options);
        var segmented = ReadAll(Segment.Split(stream, split), options);
        CompareReads(contiguous, segmented, split);

        foreach (var (message, _) in contiguous.Messages)
        {
            CheckRoundTrip(message, options);
        }
    }

    /// <summary>Selector bits: 0 4-octet AS, 1 ADD-PATH IPv4, 2 ADD-PATH IPv6, 3 Extended Message, 4 external peer.</summary>
    public static CodecOptions OptionsFor(byte selector)
    {
        var addPath = AddPathFamilies.None;
        if ((selector & AddPathIPv4Bit) != 0)
        {
            addPath |= AddPathFamilies.IPv4Unicast;
        }
        if ((selector & AddPathIPv6Bit) != 0)
        {
            addPath |= AddPathFamilies.IPv6Unicast;
        }
        return new CodecOptions
        {
            FourOctetAsn = (selector & FourOctetAsnBit) != 0,
            AddPathReceive = addPath,
            AddPathSend = addPath,
            MaxMessageLength = (selector & ExtendedMessageBit) != 0 ? BgpHeader.ExtendedMaxMessageLength : BgpHeader.MaxMessageLength,
            ExternalPeer = (selector & ExternalPeerBit) != 0,
        };
    }

    private static StreamRead ReadAll(ReadOnlySequence<byte> input, CodecOptions options)
    {
        var messages = new List<(BgpMessage Message, BgpError Error)>();
        for (var i = 0; i < MaxMessages; i++)
        {
            var before = input;
            var peeked = MessageReader.TryReadHeader(input, options, out var length, out _, out _);
            var status = MessageReader.TryRead(ref input, options, out var message, out var error);
            var consumed = before.Length - input.Length;
            switch (status)
            {
                case OperationStatus.Done:
                    if (message is null)
                    {
                        throw new FuzzOracleException("TryRead returned Done without a message.");
                    }
                    if (peeked != OperationStatus.Done || consumed != length)
                    {
                        throw new FuzzOracleException($"TryRead consumed {consumed} octets of a {length}-octet message (TryReadHeader: {peeked}).");
                    }
                    if (error.Action == ErrorAction.SessionReset)
                    {
                        throw new FuzzOracleException($"TryRead returned Done with a session-reset error: {error}.");
                    }
                    messages.Add((message, error));
                    break;
                case OperationStatus.NeedMoreData:
                    if (consumed != 0 || message is not null)
                    {
                        throw new FuzzOracleException($"NeedMoreData consumed {consumed} octets or returned a message.");
                    }
                    return new StreamRead(messages, status, error);
                case OperationStatus.InvalidData:
                    if (message is not null || error.Action != ErrorAction.SessionReset)
                    {
                        throw new FuzzOracleException($"InvalidData with message {message} and error {error}.");
                    }
                    return new StreamRead(messages, status, error);
                default:
                    throw new FuzzOracleException($"TryRead returned {status}.");
            }
        }
        return new StreamRead(messages, OperationStatus.Done, default);
    }

    private static void CompareReads(StreamRead contiguous, StreamRead segmented, int split)
    {
        if (contiguous.Messages.Count != segmented.Messages.Count || contiguous.Status != segmented.Status ||
            !SameError(contiguous.Error, segmented.Error))
        {
            throw new FuzzOracleException(
                $"Split at {split} changed the outcome: {contiguous.Messages.Count} messages then {contiguous.Status} ({contiguous.Error}) " +
                $"vs {segmented.Messages.Count} messages then {segmented.Status} ({segmented.Error}).");
        }
        for (var i = 0; i < contiguous.Messages.Count; i++)
        {
            var (a, aError) = contiguous.Messages[i];
            var (b, bError) = segmented.Messages[i];
            if (!a.Equals(b) || !SameError(aError, bError))
            {
                throw new FuzzOracleException($"Split at {split} changed message {i}: {a} ({aError}) vs {b} ({bError}).");
            }
        }
    }

    private static void CheckRoundTrip(BgpMessage message, CodecOptions options)
    {
        var max = message.Type is BgpMessageType.Open or BgpMessageType.Keepalive ? BgpHeader.MaxMessageLength : options.MaxMessageLength;
        if (MessageWriter.Measure(message, options) > max)
        {
            // The writer rejects it by contract (ArgumentException); e.g. a 2-octet session's
            // merged AS_PATH splits back into AS_PATH + AS4_PATH and may no longer fit.
            return;
        }
        var encoded = MessageWriter.ToArray(message, options);
        var status = MessageReader.TryRead(encoded, options, out var decoded, out var error);
        if (status != OperationStatus.Done || decoded is null || !message.Equals(decoded))
        {
            throw new FuzzOracleException(
                $"Round trip changed the message: {message} -> {Convert.ToHexString(encoded)} -> {status} {decoded} ({error}).");
        }
    }

    // BgpError.Data is a ReadOnlyMemory<byte>, which record equality compares by reference.
    private static bool SameError(in BgpError a, in BgpError b) =>
        a.Code == b.Code && a.Subcode == b.Subcode && a.Action == b.Action && a.Reason == b.Reason &&
        a.AttributeType == b.AttributeType && a.Data.Span.SequenceEqual(b.Data.Span);

    private sealed record StreamRead(List<(BgpMessage Message, BgpError Error)> Messages, OperationStatus Status, BgpError Error);
}
