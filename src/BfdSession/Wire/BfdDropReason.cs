namespace BgpLb.BfdSession.Wire;

/// <summary>
/// Why a received datagram was discarded: one name per check of RFC 5880 §6.8.6, §6.7 and the
/// transport rules of RFC 5881/5883. Counted per session (or per receiver before a session is
/// known), logged and asserted by name. <see cref="None"/> means accepted.
/// </summary>
public enum BfdDropReason
{
    None = 0,

    // ---- the packet itself (RFC 5880 §6.8.6, first checks; §4.1 field rules) ----
    /// <summary>Fewer octets than the 24 of the mandatory section.</summary>
    Truncated,
    /// <summary>Version is not 1.</summary>
    UnsupportedVersion,
    /// <summary>Length below 24 (26 with the A bit).</summary>
    LengthTooSmall,
    /// <summary>Length larger than the UDP payload.</summary>
    LengthExceedsPayload,
    /// <summary>Detect Mult is zero.</summary>
    ZeroDetectMultiplier,
    /// <summary>The Multipoint (M) bit is set.</summary>
    MultipointSet,
    /// <summary>My Discriminator is zero.</summary>
    ZeroMyDiscriminator,
    /// <summary>Auth Len does not fit inside Length, or is wrong for its Auth Type (§4.2–§4.4).</summary>
    MalformedAuthSection,
    /// <summary>An Auth Type this implementation does not know (§4.1: only 1–5 are defined).</summary>
    UnknownAuthType,

    // ---- demultiplexing (RFC 5880 §6.3, §6.8.6) ----
    /// <summary>Your Discriminator names no session of ours.</summary>
    UnknownYourDiscriminator,
    /// <summary>Your Discriminator is zero while State is Init or Up.</summary>
    ZeroYourDiscriminatorNotDown,
    /// <summary>Your Discriminator is zero and no session is configured for these addresses.</summary>
    NoSessionForAddresses,

    // ---- authentication (RFC 5880 §6.7, §6.8.6) ----
    /// <summary>The A bit is set but the session uses no authentication.</summary>
    AuthenticationNotExpected,
    /// <summary>The A bit is clear but the session requires authentication.</summary>
    AuthenticationMissing,
    /// <summary>Auth Type differs from the session's.</summary>
    AuthTypeMismatch,
    /// <summary>Auth Key ID differs from the session's key.</summary>
    AuthKeyIdMismatch,
    /// <summary>Password or digest does not match.</summary>
    AuthenticationFailed,
    /// <summary>Sequence Number outside the window of §6.7.3 / §6.7.4.</summary>
    SequenceNumberOutOfWindow,

    // ---- transport (RFC 5881 §4–§5, RFC 5883 §2–§5) ----
    /// <summary>Single-hop: TTL / hop limit not 255. Multi-hop: below the configured minimum.</summary>
    TtlTooLow,
    /// <summary>The packet came from another address than the session's peer.</summary>
    SourceAddressMismatch,
    /// <summary>Single-hop: received on another interface than the session's.</summary>
    WrongInterface,
    /// <summary>Received on the wrong port for the session's kind (3784 single-hop, 4784 multi-hop).</summary>
    WrongPort,
    /// <summary>The session is AdminDown (§6.8.6: discard).</summary>
    SessionAdminDown,
}
