namespace BgpLb.L2Fallback;

/// <summary>
/// Why a received ARP or NDP frame got no answer (<see cref="None"/>: it was answered). Counted per
/// interface; tests and metrics tell "not ours" from "malformed" from "someone else's announcement".
/// </summary>
public enum L2DropReason
{
    None,
    /// <summary>The frame does not decode or fails RFC 4861 §7.1 validation (the decode error is counted too).</summary>
    Malformed,
    /// <summary>A frame this host sent, looped back to the packet socket (PACKET_OUTGOING).</summary>
    Outgoing,
    /// <summary>An ARP reply or a Neighbor Advertisement: only requests and solicitations are answered.</summary>
    NotARequest,
    /// <summary>A gratuitous ARP request (RFC 5227 §3 announcement) from another host: announcements are not answered.</summary>
    Announcement,
    /// <summary>Another host announced (GARP or NA) an address we own: counted as a conflict, not answered.</summary>
    ConflictingAnnouncement,
    /// <summary>Not sent to broadcast, to our MAC, or (NDP) to a multicast group we listen on.</summary>
    EthernetDestination,
    /// <summary>The target is not a VIP this node owns on this interface.</summary>
    NotOwned,
}
