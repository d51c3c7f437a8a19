using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>What the two OPENs agreed (RFC 4271 §4.2, RFC 5492, RFC 4760 §8, RFC 6793, RFC 8654, RFC 7911).</summary>
public sealed record NegotiatedSession(
    uint PeerAsn,
    uint PeerRouterId,
    TimeSpan HoldTime,
    TimeSpan KeepaliveTime,
    ValueArray<AfiSafi> Families,
    bool RouteRefresh,
    bool EnhancedRouteRefresh,
    GracefulRestartCapability? PeerGracefulRestart,
    CodecOptions Codec,
    OpenMessage PeerOpen)
{
    public bool IsExternal => Codec.ExternalPeer;

    /// <summary>
    /// Checks the peer's OPEN against our settings (RFC 4271 §6.2) and negotiates. Returns null
    /// and the NOTIFICATION to send when the OPEN is unacceptable.
    /// </summary>
    public static NegotiatedSession? TryNegotiate(PeerOptions local, OpenMessage open, out BgpError error, out DownReason reason)
    {
        error = default;
        reason = DownReason.None;
        var peerAsn = open.Asn;
        // RFC 4271 §6.2 Bad Peer AS; RFC 7607 §2: AS 0 is never acceptable.
        if (peerAsn == 0 || !local.PeerAsn.Accepts(peerAsn, local.LocalAsn))
        {
            reason = DownReason.BadPeerAs;
            error = BgpError.Open(OpenSubcode.BadPeerAs, BgpErrorReason.None);
            return null;
        }
        // RFC 4271 §6.2 and RFC 6286 §2.2: Identifier 0 is invalid; an internal peer must not use ours.
        var internalPeer = peerAsn == local.LocalAsn;
        if (open.BgpIdentifier == 0 || (internalPeer && open.BgpIdentifier == local.RouterId))
        {
            reason = DownReason.BadBgpIdentifier;
            error = BgpError.Open(OpenSubcode.BadBgpIdentifier, BgpErrorReason.None);
            return null;
        }
        // RFC 4271 §6.2: a Hold Time of 1 or 2 seconds is unacceptable.
        if (open.HoldTime is > 0 and < PeerOptions.MinHoldTime)
        {
            reason = DownReason.UnacceptableHoldTime;
            error = BgpError.Open(OpenSubcode.UnacceptableHoldTime, BgpErrorReason.None);
            return null;
        }

        // RFC 4271 §4.2: the smaller Hold Time wins; 0 only if either side sent 0.
        var hold = TimeSpan.FromSeconds(Math.Min(local.HoldTime, open.HoldTime));
        var keepalive = hold == TimeSpan.Zero ? TimeSpan.Zero
            : local.KeepaliveTime is { } configured && configured < hold ? configured
            : hold / 3;

        // RFC 4760 §8: a peer that sends no Multiprotocol capability speaks IPv4 unicast only.
        var peerFamilies = new HashSet<AfiSafi>();
        var fourOctet = false;
        var extendedMessage = false;
        var routeRefresh = false;
        var enhancedRefresh = false;
        GracefulRestartCapability? gracefulRestart = null;
        AddPathCapability? addPath = null;
        foreach (var capability in open.Capabilities)
        {
            switch (capability)
            {
                case MultiprotocolCapability mp: peerFamilies.Add(mp.Family); break;
                case FourOctetAsnCapability: fourOctet = true; break;
                case ExtendedMessageCapability: extendedMessage = true; break;
                case RouteRefreshCapability: routeRefresh = true; break;
                case EnhancedRouteRefreshCapability: enhancedRefresh = true; break;
                case GracefulRestartCapability gr: gracefulRestart = gr; break;
                case AddPathCapability ap: addPath = ap; break;
            }
        }
        if (peerFamilies.Count == 0)
        {
            peerFamilies.Add(AfiSafi.IPv4Unicast);
        }
        var families = new List<AfiSafi>();
        foreach (var family in local.Families)
        {
            if (peerFamilies.Contains(family))
            {
                families.Add(family);
            }
        }

        // RFC 7911 §5: we send path identifiers for a family when we offered Send and the peer Receive.
        var addPathSend = AddPathFamilies.None;
        if (addPath is not null)
        {
            foreach (var family in addPath.Families)
            {
                if ((family.Mode & AddPathMode.Receive) != 0 && family.Family.Safi == Safi.Unicast && CodecOptions.Has(local.AddPathSend, family.Family.Afi))
                {
                    addPathSend |= family.Family.Afi == Afi.IPv4 ? AddPathFamilies.IPv4Unicast : AddPathFamilies.IPv6Unicast;
                }
            }
        }

        var codec = new CodecOptions
        {
            FourOctetAsn = fourOctet, // we always advertise it (RFC 6793 §3)
            MaxMessageLength = extendedMessage ? BgpHeader.ExtendedMaxMessageLength : BgpHeader.MaxMessageLength,
            AddPathSend = addPathSend,
            AddPathReceive = AddPathFamilies.None, // we never offer Receive
            ExternalPeer = !internalPeer,
        };
        return new NegotiatedSession(peerAsn, open.BgpIdentifier, hold, keepalive, families.ToArray(),
            routeRefresh, routeRefresh && enhancedRefresh, gracefulRestart, codec, open);
    }
}
