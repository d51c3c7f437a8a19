namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// UPDATE (RFC 4271 §4.3):
/// <code>
/// +-----------------------------------------------------+
/// |   Withdrawn Routes Length (2 octets)                |
/// +-----------------------------------------------------+
/// |   Withdrawn Routes (variable)                       |
/// +-----------------------------------------------------+
/// |   Total Path Attribute Length (2 octets)            |
/// +-----------------------------------------------------+
/// |   Path Attributes (variable)                        |
/// +-----------------------------------------------------+
/// |   Network Layer Reachability Information (variable) |
/// +-----------------------------------------------------+
/// </code>
/// <see cref="Withdrawn"/> and <see cref="Nlri"/> are IPv4 unicast; other families travel in
/// <see cref="PathAttributes.MpReach"/> / <see cref="PathAttributes.MpUnreach"/>.
/// </summary>
public sealed record UpdateMessage(ValueArray<Nlri> Withdrawn, PathAttributes Attributes, ValueArray<Nlri> Nlri) : BgpMessage
{
    public override BgpMessageType Type => BgpMessageType.Update;

    /// <summary>The End-of-RIB marker for a family (RFC 4724 §2).</summary>
    public static UpdateMessage EndOfRib(AfiSafi family) =>
        family == AfiSafi.IPv4Unicast
            ? new UpdateMessage(default, PathAttributes.Empty, default)
            : new UpdateMessage(default, new PathAttributes { MpUnreach = new MpUnreach(family, default) }, default);

    /// <summary>
    /// RFC 4724 §2: an UPDATE with nothing in it is IPv4 unicast End-of-RIB; one whose only
    /// attribute is an empty MP_UNREACH_NLRI is that family's.
    /// </summary>
    public bool IsEndOfRib(out AfiSafi family)
    {
        family = default;
        if (!Withdrawn.IsEmpty || !Nlri.IsEmpty)
        {
            return false;
        }
        if (Attributes == PathAttributes.Empty)
        {
            family = AfiSafi.IPv4Unicast;
            return true;
        }
        if (Attributes.MpUnreach is { Withdrawn.IsEmpty: true } unreach &&
            Attributes == new PathAttributes { MpUnreach = unreach })
        {
            family = unreach.Family;
            return true;
        }
        return false;
    }
}
