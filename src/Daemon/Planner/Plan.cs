using System.Collections.Immutable;
using BgpLb.Allocator;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Planner;

/// <summary>
/// What this node should announce: for every BGP peer that applies to it the whole route set, and for
/// every allocated Service that goes nowhere (no BGP route, no L2Advertisement here), why. L2 election
/// and answering work from <see cref="L2Inputs"/>.
/// </summary>
public sealed record Plan(
    ImmutableArray<PeerPlan> Peers,
    ImmutableArray<ServiceNotice> NotAnnounced);

/// <summary>One BGP peer of this node and every route it should hold.</summary>
public sealed record PeerPlan(BgpPeerConfig Peer, RouteSet Routes)
{
    /// <summary>The speaker's name for the peer: BGPPeer names are unique per namespace, not across them (standalone objects often have none).</summary>
    public string Key => Peer.Namespace.Length == 0 ? Peer.Name : Peer.Namespace + "/" + Peer.Name;
}

/// <summary>A Service that holds an address but is announced nowhere from this node, and why (status and logs say it).</summary>
public readonly record struct ServiceNotice(ServiceKey Service, string Reason);
