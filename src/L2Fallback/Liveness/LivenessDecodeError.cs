namespace BgpLb.L2Fallback.Liveness;

/// <summary>Why a liveness datagram was rejected.</summary>
public enum LivenessDecodeError
{
    None,
    /// <summary>Shorter than its fields say.</summary>
    Truncated,
    /// <summary>Version other than 1.</summary>
    UnsupportedVersion,
    /// <summary>A message type other than heartbeat (1) or update (2).</summary>
    UnknownType,
    /// <summary>The HMAC-SHA256 tag does not match: wrong key, or altered in flight.</summary>
    BadAuthentication,
    /// <summary>A node name that is empty or not UTF-8.</summary>
    BadName,
    /// <summary>A member status other than 0, 1 or 2.</summary>
    BadStatus,
    /// <summary>Octets left between the last field and the tag.</summary>
    TrailingData,
}
