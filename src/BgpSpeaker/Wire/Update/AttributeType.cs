namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Path attribute type codes (IANA "BGP Path Attributes" registry).</summary>
public enum AttributeType : byte
{
    Origin = 1,
    AsPath = 2,
    NextHop = 3,
    MultiExitDisc = 4,
    LocalPref = 5,
    AtomicAggregate = 6,
    Aggregator = 7,
    Communities = 8,
    OriginatorId = 9,
    ClusterList = 10,
    MpReachNlri = 14,
    MpUnreachNlri = 15,
    ExtendedCommunities = 16,
    As4Path = 17,
    As4Aggregator = 18,
    TunnelEncapsulation = 23,
    Ipv6ExtendedCommunities = 25,
    Aigp = 26,
    LargeCommunity = 32,
    OnlyToCustomer = 35,
}

/// <summary>Attribute Flags (RFC 4271 §4.3).</summary>
[Flags]
public enum AttributeFlags : byte
{
    None = 0,
    ExtendedLength = 0x10,
    Partial = 0x20,
    Transitive = 0x40,
    Optional = 0x80,
}

/// <summary>ORIGIN values (RFC 4271 §4.3, §5.1.1).</summary>
public enum Origin : byte
{
    Igp = 0,
    Egp = 1,
    Incomplete = 2,
}
