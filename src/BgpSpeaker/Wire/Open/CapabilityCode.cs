namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Capability codes (IANA "Capability Codes" registry).</summary>
public enum CapabilityCode : byte
{
    Multiprotocol = 1,        // RFC 4760
    RouteRefresh = 2,         // RFC 2918
    ExtendedNextHop = 5,      // RFC 8950
    ExtendedMessage = 6,      // RFC 8654
    Role = 9,                 // RFC 9234
    GracefulRestart = 64,     // RFC 4724
    FourOctetAsn = 65,        // RFC 6793
    AddPath = 69,             // RFC 7911
    EnhancedRouteRefresh = 70, // RFC 7313
    LongLivedGracefulRestart = 71,
    Fqdn = 73,                // draft-walton-bgp-hostname-capability
    SoftwareVersion = 75,     // draft-abraitis-bgp-version-capability
}

/// <summary>OPEN optional parameter types (RFC 5492 §4, RFC 9072 §2).</summary>
public enum OptionalParameterType : byte
{
    Authentication = 1,  // deprecated, RFC 5492 §4
    Capabilities = 2,
    ExtendedLength = 255, // RFC 9072 §2: marks the extended encoding
}
