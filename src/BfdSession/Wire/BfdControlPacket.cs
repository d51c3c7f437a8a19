namespace BgpLb.BfdSession.Wire;

/// <summary>
/// The BFD Control packet of RFC 5880 §4.1, decoded. Intervals are in microseconds, as on the wire.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       My Discriminator                        |
/// |                      Your Discriminator                       |
/// |                    Desired Min TX Interval                    |
/// |                   Required Min RX Interval                    |
/// |                 Required Min Echo RX Interval                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Auth Len    |    Authentication Data...     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// The optional section is summarised by <see cref="Auth"/>; its password or digest stays in the
/// received octets (<see cref="BfdAuthenticator"/> checks it there).
/// </summary>
public readonly record struct BfdControlPacket
{
    /// <summary>§4.1: the only version defined.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>§4.1: the mandatory section, octets.</summary>
    public const int MandatoryLength = 24;

    /// <summary>§6.8.6: with the A bit the packet holds at least Auth Type and Auth Len.</summary>
    public const int MinimumAuthenticatedLength = MandatoryLength + 2;

    /// <summary>The longest packet we write: the mandatory section and a keyed SHA1 section (§4.4).</summary>
    public const int MaxWrittenLength = MandatoryLength + BfdAuthSection.Sha1Length;

    public byte Version { get; init; }
    public BfdDiagnostic Diagnostic { get; init; }
    public BfdState State { get; init; }
    public bool Poll { get; init; }
    public bool Final { get; init; }
    public bool ControlPlaneIndependent { get; init; }
    public bool AuthenticationPresent { get; init; }
    public bool Demand { get; init; }
    public bool Multipoint { get; init; }
    public byte DetectMultiplier { get; init; }

    /// <summary>The Length field: octets of the whole packet, authentication section included.</summary>
    public byte Length { get; init; }

    public uint MyDiscriminator { get; init; }
    public uint YourDiscriminator { get; init; }
    public uint DesiredMinTxInterval { get; init; }
    public uint RequiredMinRxInterval { get; init; }
    public uint RequiredMinEchoRxInterval { get; init; }

    /// <summary>The authentication section's header fields; <c>default</c> when the A bit is clear.</summary>
    public BfdAuthSection Auth { get; init; }
}
