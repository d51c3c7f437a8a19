namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Why a message was judged malformed: logged, counted and asserted on.</summary>
public enum BgpErrorReason : byte
{
    None = 0,

    // Header (RFC 4271 §6.1).
    BadMarker,
    MessageTooShort,
    MessageTooLong,
    BadLengthForType,
    UnknownMessageType,

    // OPEN (RFC 4271 §6.2, RFC 5492, RFC 9072).
    UnsupportedVersion,
    OptionalParametersOverrun,
    UnsupportedOptionalParameter,
    CapabilityOverrun,
    CapabilityLengthInvalid,
    TrailingBytes,

    // UPDATE framing (RFC 4271 §6.3, RFC 7606 §4).
    WithdrawnLengthOverrun,
    AttributeLengthOverrun,
    AttributeHeaderTruncated,

    // Per-attribute (RFC 7606 §3, §7).
    AttributeFlagsInvalid,
    AttributeLengthInvalid,
    DuplicateAttribute,
    DuplicateMpAttribute,
    MissingWellKnownAttribute,
    UnrecognizedWellKnownAttribute,
    InvalidOrigin,
    MalformedAsPath,
    InvalidNextHop,
    MalformedCommunities,
    MalformedMpReach,
    MalformedMpUnreach,
    UnsupportedAddressFamily,
    MalformedAs4Path,
    As4AttributeFromNewSpeaker,
    LocalPrefFromExternalPeer,
    AsZero,
    MalformedOptionalAttribute,

    // NLRI (RFC 4271 §6.3, RFC 7606 §5.3).
    PrefixLengthInvalid,
    PrefixOverrun,

    // NOTIFICATION / ROUTE-REFRESH.
    RouteRefreshLengthInvalid,
}
