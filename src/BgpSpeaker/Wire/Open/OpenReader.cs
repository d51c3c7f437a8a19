using System.Buffers.Binary;
using System.Text;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Decodes an OPEN body (RFC 4271 §4.2, RFC 5492 §4, RFC 9072 §2).</summary>
internal static class OpenReader
{
    /// <summary>Version(1) My AS(2) Hold Time(2) BGP Identifier(4) Opt Parm Len(1).</summary>
    internal const int FixedLength = 10;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public static OpenMessage? TryDecode(ReadOnlySpan<byte> body, out BgpError error)
    {
        error = default;
        var version = body[0];
        if (version != OpenMessage.BgpVersion)
        {
            // RFC 4271 §6.2: data = the largest version we support, 2 octets.
            Span<byte> supported = [0, OpenMessage.BgpVersion];
            error = BgpError.Open(OpenSubcode.UnsupportedVersionNumber, BgpErrorReason.UnsupportedVersion, supported);
            return null;
        }
        var myAs = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
        var holdTime = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        var identifier = BinaryPrimitives.ReadUInt32BigEndian(body[5..]);
        int parametersLength = body[9];
        var rest = body[FixedLength..];
        var extended = false;

        // RFC 9072 §2: Non-Ext OP Len 255 and Non-Ext OP Type 255 announce the extended encoding:
        // a 2-octet total length, then parameters with 2-octet lengths.
        if (parametersLength == byte.MaxValue && !rest.IsEmpty && rest[0] == (byte)OptionalParameterType.ExtendedLength)
        {
            if (rest.Length < 3)
            {
                error = BgpError.Open(OpenSubcode.Unspecific, BgpErrorReason.OptionalParametersOverrun);
                return null;
            }
            extended = true;
            parametersLength = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            rest = rest[3..];
        }
        // RFC 4271 §6.2 / RFC 9072 §2: the parameters must fill the rest of the message exactly.
        if (parametersLength != rest.Length)
        {
            error = BgpError.Open(OpenSubcode.Unspecific, parametersLength > rest.Length ? BgpErrorReason.OptionalParametersOverrun : BgpErrorReason.TrailingBytes);
            return null;
        }

        var capabilities = new List<Capability>();
        var parameterCount = 0;
        var headerLength = extended ? 3 : 2;
        while (!rest.IsEmpty)
        {
            if (rest.Length < headerLength)
            {
                error = BgpError.Open(OpenSubcode.Unspecific, BgpErrorReason.OptionalParametersOverrun);
                return null;
            }
            var type = (OptionalParameterType)rest[0];
            var length = extended ? BinaryPrimitives.ReadUInt16BigEndian(rest[1..]) : rest[1];
            if (rest.Length < headerLength + length)
            {
                error = BgpError.Open(OpenSubcode.Unspecific, BgpErrorReason.OptionalParametersOverrun);
                return null;
            }
            var value = rest.Slice(headerLength, length);
            rest = rest[(headerLength + length)..];
            if (type != OptionalParameterType.Capabilities)
            {
                // RFC 4271 §6.2 and RFC 5492 §4: Authentication (1) is deprecated; anything but
                // Capabilities is unsupported. Data: none is defined, so we send the parameter type.
                error = BgpError.Open(OpenSubcode.UnsupportedOptionalParameter, BgpErrorReason.UnsupportedOptionalParameter, [(byte)type]);
                return null;
            }
            parameterCount++;
            if (!TryReadCapabilities(value, capabilities, out error))
            {
                return null;
            }
        }

        var layout = parameterCount > 1 && parameterCount == capabilities.Count ? CapabilityLayout.ParameterPerCapability : CapabilityLayout.SingleParameter;
        return new OpenMessage(myAs, holdTime, identifier, capabilities.ToArray(), layout, extended);
    }

    /// <summary>Capabilities: Code(1) Length(1) Value, repeated (RFC 5492 §4).</summary>
    private static bool TryReadCapabilities(ReadOnlySpan<byte> parameter, List<Capability> into, out BgpError error)
    {
        error = default;
        while (!parameter.IsEmpty)
        {
            if (parameter.Length < 2 || parameter.Length < 2 + parameter[1])
            {
                error = BgpError.Open(OpenSubcode.Unspecific, BgpErrorReason.CapabilityOverrun);
                return false;
            }
            var code = parameter[0];
            var value = parameter.Slice(2, parameter[1]);
            parameter = parameter[(2 + value.Length)..];
            var capability = TryReadCapability(code, value);
            if (capability is null)
            {
                // RFC 5492 §3 lets a speaker ignore a capability it does not understand, but one we
                // do understand with a malformed value is a malformed OPEN (RFC 4271 §6.2: Unspecific).
                // Data: the offending capability, so the peer's operator can see which one.
                Span<byte> tlv = stackalloc byte[2 + value.Length];
                tlv[0] = code;
                tlv[1] = (byte)value.Length;
                value.CopyTo(tlv[2..]);
                error = BgpError.Open(OpenSubcode.Unspecific, BgpErrorReason.CapabilityLengthInvalid, tlv);
                return false;
            }
            into.Add(capability);
        }
        return true;
    }

    private static Capability? TryReadCapability(byte code, ReadOnlySpan<byte> value) => (CapabilityCode)code switch
    {
        // RFC 4760 §8: AFI(2) Res(1) SAFI(1).
        CapabilityCode.Multiprotocol when value.Length == 4 =>
            new MultiprotocolCapability(new AfiSafi((Afi)BinaryPrimitives.ReadUInt16BigEndian(value), (Safi)value[3])),
        CapabilityCode.RouteRefresh when value.IsEmpty => new RouteRefreshCapability(),
        CapabilityCode.EnhancedRouteRefresh when value.IsEmpty => new EnhancedRouteRefreshCapability(),
        CapabilityCode.ExtendedMessage when value.IsEmpty => new ExtendedMessageCapability(),
        CapabilityCode.FourOctetAsn when value.Length == 4 => new FourOctetAsnCapability(BinaryPrimitives.ReadUInt32BigEndian(value)),
        CapabilityCode.GracefulRestart when value.Length >= 2 && (value.Length - 2) % 4 == 0 => ReadGracefulRestart(value),
        CapabilityCode.AddPath when !value.IsEmpty && value.Length % 4 == 0 => ReadAddPath(value),
        CapabilityCode.Fqdn => ReadFqdn(value),
        CapabilityCode.Multiprotocol or CapabilityCode.RouteRefresh or CapabilityCode.EnhancedRouteRefresh or
            CapabilityCode.ExtendedMessage or CapabilityCode.FourOctetAsn or CapabilityCode.GracefulRestart or
            CapabilityCode.AddPath => null,
        _ => new UnknownCapability(code, value.ToArray()),
    };

    /// <summary>RFC 4724 §3: R(1) N(1, RFC 8538) reserved(2) Restart Time(12), then AFI(2) SAFI(1) Flags(1)...</summary>
    private static GracefulRestartCapability ReadGracefulRestart(ReadOnlySpan<byte> value)
    {
        var head = BinaryPrimitives.ReadUInt16BigEndian(value);
        var families = new GracefulRestartFamily[(value.Length - 2) / 4];
        for (var i = 0; i < families.Length; i++)
        {
            var entry = value.Slice(2 + (4 * i), 4);
            var family = new AfiSafi((Afi)BinaryPrimitives.ReadUInt16BigEndian(entry), (Safi)entry[2]);
            families[i] = new GracefulRestartFamily(family, (entry[3] & 0x80) != 0);
        }
        return new GracefulRestartCapability(
            RestartState: (head & 0x8000) != 0,
            Notification: (head & 0x4000) != 0,
            RestartTime: (ushort)(head & GracefulRestartCapability.MaxRestartTime),
            families);
    }

    /// <summary>RFC 7911 §4: AFI(2) SAFI(1) Send/Receive(1), repeated.</summary>
    private static AddPathCapability? ReadAddPath(ReadOnlySpan<byte> value)
    {
        var families = new AddPathFamily[value.Length / 4];
        for (var i = 0; i < families.Length; i++)
        {
            var entry = value.Slice(4 * i, 4);
            var mode = entry[3];
            if (mode is 0 or > (byte)AddPathMode.Both)
            {
                return null; // RFC 7911 §4: Send/Receive is 1, 2 or 3.
            }
            families[i] = new AddPathFamily(new AfiSafi((Afi)BinaryPrimitives.ReadUInt16BigEndian(entry), (Safi)entry[2]), (AddPathMode)mode);
        }
        return new AddPathCapability(families);
    }

    /// <summary>draft-walton-bgp-hostname-capability §3: Hostname Len(1) Hostname, Domain Len(1) Domain.</summary>
    private static FqdnCapability? ReadFqdn(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length < 1 + value[0] + 1)
        {
            return null;
        }
        var host = value.Slice(1, value[0]);
        var domainPart = value[(1 + host.Length)..];
        if (domainPart.Length != 1 + domainPart[0])
        {
            return null;
        }
        try
        {
            return new FqdnCapability(StrictUtf8.GetString(host), StrictUtf8.GetString(domainPart[1..]));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
