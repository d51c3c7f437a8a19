using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Encodes BGP messages into an <see cref="IBufferWriter{T}"/>: each message is measured, its
/// span taken once with <c>GetSpan</c>, filled, and committed with <c>Advance</c>.
/// </summary>
public static class MessageWriter
{
    /// <summary>Writes <paramref name="message"/> and returns its length in octets.</summary>
    /// <exception cref="ArgumentException">The message does not fit the negotiated maximum length
    /// (a caller error: <see cref="UpdateBuilder"/> splits routes so that this never happens).</exception>
    public static int Write(IBufferWriter<byte> output, BgpMessage message, CodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(message);
        var length = Measure(message, options);
        var max = message.Type is BgpMessageType.Open or BgpMessageType.Keepalive ? BgpHeader.MaxMessageLength : options.MaxMessageLength;
        if (length > max)
        {
            throw new ArgumentException($"{message.Type} of {length} octets exceeds the {max}-octet maximum for this session.", nameof(message));
        }
        var span = output.GetSpan(length)[..length];
        BgpHeader.Write(span, length, message.Type);
        var body = span[BgpHeader.Length..];
        switch (message)
        {
            case OpenMessage open:
                WriteOpen(body, open);
                break;
            case UpdateMessage update:
                WriteUpdate(body, update, options);
                break;
            case NotificationMessage notification:
                body[0] = (byte)notification.Code;
                body[1] = notification.Subcode;
                notification.Data.AsSpan().CopyTo(body[2..]);
                break;
            case RouteRefreshMessage refresh:
                BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)refresh.Afi);
                body[2] = (byte)refresh.Subtype;
                body[3] = (byte)refresh.Safi;
                break;
        }
        output.Advance(length);
        return length;
    }

    /// <summary>Encodes into a new array (tests, tools; the session writes to its pipe).</summary>
    public static byte[] ToArray(BgpMessage message, CodecOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, message, options);
        return buffer.WrittenSpan.ToArray();
    }

    public static int Measure(BgpMessage message, CodecOptions options) => BgpHeader.Length + message switch
    {
        KeepaliveMessage => 0,
        OpenMessage open => OpenReader.FixedLength + ParametersLength(open),
        UpdateMessage update => 4 + NlriWriter.Size(update.Withdrawn.AsSpan(), CodecOptions.Has(options.AddPathSend, Afi.IPv4)) +
            AttributeWriter.Measure(update.Attributes, options) + NlriWriter.Size(update.Nlri.AsSpan(), CodecOptions.Has(options.AddPathSend, Afi.IPv4)),
        NotificationMessage notification => 2 + notification.Data.Count,
        RouteRefreshMessage => RouteRefreshMessage.BodyLength,
        _ => throw new ArgumentException($"Unknown message type {message.GetType().Name}.", nameof(message)),
    };

    private static void WriteUpdate(Span<byte> body, UpdateMessage update, CodecOptions options)
    {
        var addPath = CodecOptions.Has(options.AddPathSend, Afi.IPv4);
        var withdrawn = NlriWriter.Write(body[2..], update.Withdrawn.AsSpan(), addPath);
        BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)withdrawn);
        var attributesAt = 2 + withdrawn + 2;
        var attributes = new AttributeWriter(update.Attributes, options).Write(body[attributesAt..], default, useOwnMpNlri: true);
        BinaryPrimitives.WriteUInt16BigEndian(body[(attributesAt - 2)..], (ushort)attributes);
        NlriWriter.Write(body[(attributesAt + attributes)..], update.Nlri.AsSpan(), addPath);
    }

    // ---- OPEN (RFC 4271 §4.2, RFC 5492 §4, RFC 9072 §2) ----

    private static int CapabilityLength(Capability capability) => 2 + capability switch
    {
        MultiprotocolCapability => 4,
        FourOctetAsnCapability => 4,
        GracefulRestartCapability gr => 2 + (4 * gr.Families.Count),
        AddPathCapability addPath => 4 * addPath.Families.Count,
        FqdnCapability fqdn => fqdn.ValueLength,
        UnknownCapability unknown => unknown.Value.Count,
        _ => 0,
    };

    /// <summary>RFC 9072 §3: the extended encoding when asked, or when the parameters need it.</summary>
    private static bool UsesExtendedParameters(OpenMessage open, out int parametersLength)
    {
        int Total(int headerSize)
        {
            var total = 0;
            if (open.Layout == CapabilityLayout.ParameterPerCapability)
            {
                foreach (var capability in open.Capabilities)
                {
                    total += headerSize + CapabilityLength(capability);
                }
                return total;
            }
            foreach (var capability in open.Capabilities)
            {
                total += CapabilityLength(capability);
            }
            return total == 0 ? 0 : headerSize + total;
        }
        var plain = Total(2);
        var extended = open.ExtendedParameters || plain > byte.MaxValue ||
            (open.Layout == CapabilityLayout.SingleParameter && plain - 2 > byte.MaxValue);
        parametersLength = extended ? Total(3) : plain;
        return extended;
    }

    private static int ParametersLength(OpenMessage open) =>
        UsesExtendedParameters(open, out var length) ? 3 + length : length;

    private static void WriteOpen(Span<byte> body, OpenMessage open)
    {
        body[0] = OpenMessage.BgpVersion;
        BinaryPrimitives.WriteUInt16BigEndian(body[1..], open.MyAs);
        BinaryPrimitives.WriteUInt16BigEndian(body[3..], open.HoldTime);
        BinaryPrimitives.WriteUInt32BigEndian(body[5..], open.BgpIdentifier);
        var extended = UsesExtendedParameters(open, out var parametersLength);
        var at = OpenReader.FixedLength;
        if (extended)
        {
            // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, then the 2-octet length.
            body[at - 1] = byte.MaxValue;
            body[at] = (byte)OptionalParameterType.ExtendedLength;
            BinaryPrimitives.WriteUInt16BigEndian(body[(at + 1)..], (ushort)parametersLength);
            at += 3;
        }
        else
        {
            body[at - 1] = (byte)parametersLength;
        }
        var headerSize = extended ? 3 : 2;
        if (open.Layout == CapabilityLayout.ParameterPerCapability)
        {
            foreach (var capability in open.Capabilities)
            {
                at = WriteParameterHeader(body, at, extended, CapabilityLength(capability));
                at += WriteCapability(body[at..], capability);
            }
            return;
        }
        if (open.Capabilities.IsEmpty)
        {
            return;
        }
        var start = at;
        at += headerSize;
        foreach (var capability in open.Capabilities)
        {
            at += WriteCapability(body[at..], capability);
        }
        WriteParameterHeader(body, start, extended, at - start - headerSize);
    }

    private static int WriteParameterHeader(Span<byte> body, int at, bool extended, int length)
    {
        body[at] = (byte)OptionalParameterType.Capabilities;
        if (extended)
        {
            BinaryPrimitives.WriteUInt16BigEndian(body[(at + 1)..], (ushort)length);
            return at + 3;
        }
        body[at + 1] = (byte)length;
        return at + 2;
    }

    private static int WriteCapability(Span<byte> destination, Capability capability)
    {
        var length = CapabilityLength(capability);
        destination[0] = (byte)capability.Code;
        destination[1] = (byte)(length - 2);
        var value = destination[2..length];
        switch (capability)
        {
            case MultiprotocolCapability mp:
                BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)mp.Family.Afi);
                value[2] = 0;
                value[3] = (byte)mp.Family.Safi;
                break;
            case FourOctetAsnCapability asn:
                BinaryPrimitives.WriteUInt32BigEndian(value, asn.Asn);
                break;
            case GracefulRestartCapability gr:
                var head = (ushort)((gr.RestartState ? 0x8000 : 0) | (gr.Notification ? 0x4000 : 0) | (gr.RestartTime & GracefulRestartCapability.MaxRestartTime));
                BinaryPrimitives.WriteUInt16BigEndian(value, head);
                for (var i = 0; i < gr.Families.Count; i++)
                {
                    var entry = value[(2 + (4 * i))..];
                    BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)gr.Families[i].Family.Afi);
                    entry[2] = (byte)gr.Families[i].Family.Safi;
                    entry[3] = gr.Families[i].ForwardingStatePreserved ? (byte)0x80 : (byte)0;
                }
                break;
            case AddPathCapability addPath:
                for (var i = 0; i < addPath.Families.Count; i++)
                {
                    var entry = value[(4 * i)..];
                    BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)addPath.Families[i].Family.Afi);
                    entry[2] = (byte)addPath.Families[i].Family.Safi;
                    entry[3] = (byte)addPath.Families[i].Mode;
                }
                break;
            case FqdnCapability fqdn:
                var hostLength = Encoding.UTF8.GetBytes(fqdn.HostName, value[1..]);
                value[0] = (byte)hostLength;
                var domainLength = Encoding.UTF8.GetBytes(fqdn.DomainName, value[(2 + hostLength)..]);
                value[1 + hostLength] = (byte)domainLength;
                break;
            case UnknownCapability unknown:
                unknown.Value.AsSpan().CopyTo(value);
                break;
        }
        return length;
    }
}
