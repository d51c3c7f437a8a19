namespace BgpLb.BgpSpeaker.Wire;

/// <summary>NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5).</summary>
public enum BgpErrorCode : byte
{
    MessageHeader = 1,
    Open = 2,
    Update = 3,
    HoldTimerExpired = 4,
    FsmError = 5,
    Cease = 6,
    RouteRefresh = 7,
}

/// <summary>Message Header Error subcodes (RFC 4271 §6.1).</summary>
public enum MessageHeaderSubcode : byte
{
    Unspecific = 0,
    ConnectionNotSynchronized = 1,
    BadMessageLength = 2,
    BadMessageType = 3,
}

/// <summary>OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5, RFC 9234 §4.2).</summary>
public enum OpenSubcode : byte
{
    Unspecific = 0,
    UnsupportedVersionNumber = 1,
    BadPeerAs = 2,
    BadBgpIdentifier = 3,
    UnsupportedOptionalParameter = 4,
    // 5 (Authentication Failure) is deprecated by RFC 4271 §6.2.
    UnacceptableHoldTime = 6,
    UnsupportedCapability = 7,
    RoleMismatch = 11,
}

/// <summary>UPDATE Message Error subcodes (RFC 4271 §6.3).</summary>
public enum UpdateSubcode : byte
{
    Unspecific = 0,
    MalformedAttributeList = 1,
    UnrecognizedWellKnownAttribute = 2,
    MissingWellKnownAttribute = 3,
    AttributeFlagsError = 4,
    AttributeLengthError = 5,
    InvalidOriginAttribute = 6,
    // 7 (AS Routing Loop) is deprecated by RFC 4271 §6.3.
    InvalidNextHopAttribute = 8,
    OptionalAttributeError = 9,
    InvalidNetworkField = 10,
    MalformedAsPath = 11,
}

/// <summary>Finite State Machine Error subcodes (RFC 6608 §3).</summary>
public enum FsmSubcode : byte
{
    Unspecified = 0,
    UnexpectedMessageInOpenSent = 1,
    UnexpectedMessageInOpenConfirm = 2,
    UnexpectedMessageInEstablished = 3,
}

/// <summary>Cease subcodes (RFC 4486 §4, RFC 8538 §5, RFC 9384 §3).</summary>
public enum CeaseSubcode : byte
{
    Unspecified = 0,
    MaximumPrefixesReached = 1,
    AdministrativeShutdown = 2,
    PeerDeconfigured = 3,
    AdministrativeReset = 4,
    ConnectionRejected = 5,
    OtherConfigurationChange = 6,
    ConnectionCollisionResolution = 7,
    OutOfResources = 8,
    HardReset = 9,
    BfdDown = 10,
}

/// <summary>ROUTE-REFRESH Message Error subcodes (RFC 7313 §5).</summary>
public enum RouteRefreshSubcode : byte
{
    Reserved = 0,
    InvalidMessageLength = 1,
}
