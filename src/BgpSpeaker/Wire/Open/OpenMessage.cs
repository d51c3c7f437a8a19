namespace BgpLb.BgpSpeaker.Wire;

/// <summary>How capabilities were grouped into optional parameters (RFC 5492 §4 allows both).</summary>
public enum CapabilityLayout : byte
{
    /// <summary>One Capabilities parameter holding every capability (BIRD, GoBGP).</summary>
    SingleParameter = 0,

    /// <summary>One Capabilities parameter per capability (FRR, ExaBGP, older Cisco).</summary>
    ParameterPerCapability = 1,
}

/// <summary>
/// OPEN (RFC 4271 §4.2):
/// <code>
/// +-+-+-+-+-+-+-+-+
/// |    Version    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     My Autonomous System      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Hold Time           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         BGP Identifier                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Opt Parm Len  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |             Optional Parameters (variable)                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// With RFC 9072 the length octet is 255, followed by type 255 and a 2-octet length, and each
/// parameter's length is 2 octets.
/// </summary>
public sealed record OpenMessage(
    ushort MyAs,
    ushort HoldTime,
    uint BgpIdentifier,
    ValueArray<Capability> Capabilities,
    CapabilityLayout Layout = CapabilityLayout.SingleParameter,
    bool ExtendedParameters = false) : BgpMessage
{
    /// <summary>RFC 4271 §4.2.</summary>
    public const byte BgpVersion = 4;

    /// <summary>RFC 6793 §9: placeholder for a 4-octet AS in 2-octet fields.</summary>
    public const ushort AsTrans = 23456;

    public override BgpMessageType Type => BgpMessageType.Open;

    /// <summary>The speaker's AS: the 4-octet capability's when present (RFC 6793 §4.1).</summary>
    public uint Asn => Find<FourOctetAsnCapability>()?.Asn ?? MyAs;

    public T? Find<T>() where T : Capability
    {
        foreach (var capability in Capabilities)
        {
            if (capability is T match)
            {
                return match;
            }
        }
        return null;
    }

    /// <summary>Builds an OPEN for <paramref name="asn"/>, putting AS_TRANS in the 2-octet field when needed.</summary>
    public static OpenMessage Create(uint asn, ushort holdTime, uint bgpIdentifier, params Capability[] capabilities) =>
        new(asn > ushort.MaxValue ? AsTrans : (ushort)asn, holdTime, bgpIdentifier, capabilities);
}
