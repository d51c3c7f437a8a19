using System.Net;
using System.Text.Json.Nodes;
using BgpLb.Admin.V1;
using BgpLb.BgpSpeaker;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.Daemon.Runtime;

namespace BgpLb.Daemon.Cluster;

/// <summary>One session's state and since when it has been in it, as the writer observed it.</summary>
internal readonly record struct Observed(string State, DateTimeOffset Since);

/// <summary>The <c>Valid</c> condition: whether the configuration in force is the one asked for, and if not why.</summary>
internal readonly record struct Validity(bool Valid, string Reason, string Message);

/// <summary>
/// The <c>status</c> of a NodeState, built from what the daemon really does (pure: the writer gathers the
/// inputs), in two parts the writer builds at different times: <see cref="Sessions"/> and <see cref="Services"/>. Every list is sorted so that equal states give equal JSON, and the per-Service list is bounded
/// (docs/kubernetes.md, NodeState): at most <see cref="NodeStateOptions.MaxServices"/> entries and
/// <see cref="NodeStateOptions.MaxServiceBytes"/> of JSON, Services this node announces nowhere first, then
/// those some peer does not get, then the rest; <c>servicesTotal</c> counts them all, <c>servicesAdvertised</c> those this node announces somewhere.
/// </summary>
internal static class NodeStateStatus
{
    public const string ReasonAccepted = "Accepted";
    public const string ReasonRefused = "ObjectsRefused";
    public const string ReasonKeptLastGood = "LastGoodConfigurationInForce";

    /// <summary>The CRD's bound on a reason text; a longer one is cut with an ellipsis.</summary>
    public const int MaxReason = 1024;

    /// <summary>
    /// The sessions' members (<c>bgpEstablished</c>, <c>bgpSessionCount</c>, <c>bfdUp</c>, <c>bgpSessions</c>,
    /// <c>bfdSessions</c>) and the <c>Valid</c> condition: a few entries per peer, looked at on every poll.
    /// </summary>
    public static JsonObject Sessions(
        IReadOnlyList<PeerStatus> peers,
        IReadOnlyDictionary<string, Observed> bgpSince,
        IReadOnlyList<BfdSessionView> bfd,
        IReadOnlyDictionary<string, Observed> bfdSince,
        Validity validity,
        DateTimeOffset? validSince)
    {
        var bgp = new JsonArray();
        foreach (var peer in peers.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            bgp.Add((JsonNode)Session(peer, bgpSince.TryGetValue(peer.Name, out var seen) && seen.State == peer.State.ToString() ? seen.Since : null));
        }
        var bfdList = new JsonArray();
        var bfdUp = 0;
        // Keyed by address in the CRD (list-map): two BGP peers on one address share one BFD session (RFC 5881 §2).
        foreach (var view in bfd.GroupBy(v => Text(v.Session.Address)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.OrderBy(v => v.Peer, StringComparer.Ordinal).First()))
        {
            var state = StateOf(view);
            if (state == nameof(BfdSession.Wire.BfdState.Up))
            {
                bfdUp++;
            }
            var entry = new JsonObject { ["peerAddress"] = Text(view.Session.Address), ["peer"] = view.Peer, ["state"] = state };
            if (view.Status is { } session)
            {
                entry["diagnostic"] = session.LocalDiagnostic.ToString();
            }
            if (bfdSince.TryGetValue(view.Peer, out var seen) && seen.State == state)
            {
                entry["since"] = Conditions.Time(seen.Since);
            }
            bfdList.Add((JsonNode)entry);
        }
        return new JsonObject
        {
            ["bgpEstablished"] = peers.Count(p => p.State == BgpState.Established),
            ["bgpSessionCount"] = peers.Count,
            ["bfdUp"] = bfdUp,
            ["bgpSessions"] = bgp,
            ["bfdSessions"] = bfdList,
            ["conditions"] = new JsonArray(Condition(validity, validSince)),
        };
    }

    /// <summary>The BFD state as the CRD names it: the worker's answer, or Unknown while the worker is being replaced (docs/bfd.md).</summary>
    public static string StateOf(BfdSessionView view) => view.Status?.State.ToString() ?? "Unknown";

    private static JsonObject Session(PeerStatus peer, DateTimeOffset? observedSince)
    {
        var established = peer.State == BgpState.Established;
        var entry = new JsonObject
        {
            ["peer"] = peer.Name,
            ["peerAddress"] = Text(peer.Remote.Address),
            ["state"] = peer.State.ToString(),
            // RFC 4271 §9.2: a peer holds our routes only while the session is Established; before, it holds none.
            ["prefixesAdvertised"] = established ? peer.RoutesAdvertised : 0,
        };
        var since = established ? peer.EstablishedSince ?? observedSince : observedSince;
        if (since is { } at)
        {
            entry["since"] = Conditions.Time(at);
        }
        if (!established)
        {
            entry["reason"] = Cut(DownReason(peer));
        }
        return entry;
    }

    /// <summary>Why a session is not Established: how it last went down (RFC 4271 §6 NOTIFICATION, if any), and the last connection error.</summary>
    private static string DownReason(PeerStatus peer)
    {
        var parts = new List<string>(2);
        if (peer.LastDown is { } down)
        {
            parts.Add(down.Notification is { } n ? $"{down.Reason} ({n.Code} / {n.SubcodeName})" : down.Reason.ToString());
        }
        if (peer.LastConnectionError is { Length: > 0 } error)
        {
            parts.Add("last connection error: " + error);
        }
        return parts.Count > 0 ? string.Join("; ", parts) : $"not Established yet ({peer.State})";
    }

    /// <summary>
    /// The Services' members: <c>servicesTotal</c>, <c>servicesAdvertised</c> and the bounded <c>services</c> list. One
    /// line per Service of the node (10,000 in a large cluster) goes into it, so the writer builds it only when the
    /// daemon's state changed or at its read-back, never per poll.
    /// </summary>
    public static JsonObject Services(IEnumerable<Vip> vips, NodeStateOptions options)
    {
        var all = vips.Select(v => (Vip: v, Rank: Rank(v))).ToList();
        var list = new JsonArray();
        var bytes = 0;
        foreach (var (vip, _) in all.OrderBy(v => v.Rank).ThenBy(v => v.Vip.Service, StringComparer.Ordinal))
        {
            if (list.Count >= options.MaxServices)
            {
                break;
            }
            var entry = Service(vip);
            var size = entry.ToJsonString().Length + 1;
            if (bytes + size > options.MaxServiceBytes)
            {
                break;
            }
            bytes += size;
            list.Add((JsonNode)entry);
        }
        return new JsonObject
        {
            ["servicesTotal"] = all.Count,
            ["servicesAdvertised"] = all.Count(v => v.Rank > 0),
            ["services"] = list,
        };
    }

    /// <summary>0: announced by this node nowhere (no peer, not the L2 owner); 1: some peer does not get it; 2: every peer (or the L2 answer) has it.</summary>
    private static int Rank(Vip vip)
    {
        var advertised = vip.Peers.Count(p => p.Advertised);
        var owner = vip.L2Owner.Length > 0 && vip.L2NotOwnerReason.Length == 0;
        if (advertised == 0 && !owner)
        {
            return 0;
        }
        return advertised < vip.Peers.Count ? 1 : 2;
    }

    private static JsonObject Service(Vip vip)
    {
        var entry = new JsonObject
        {
            ["service"] = vip.Service,
            ["addresses"] = new JsonArray([.. vip.Addresses.Select(a => (JsonNode)a)]),
        };
        if (vip.NotAnnounced.Length > 0)
        {
            entry["notAnnounced"] = Cut(vip.NotAnnounced);
        }
        var peers = new JsonArray();
        foreach (var peer in vip.Peers.OrderBy(p => p.Peer, StringComparer.Ordinal))
        {
            var item = new JsonObject { ["peer"] = peer.Peer, ["advertised"] = peer.Advertised };
            if (peer.Reason.Length > 0)
            {
                item["reason"] = Cut(peer.Reason);
            }
            peers.Add((JsonNode)item);
        }
        entry["peers"] = peers;
        if (vip.L2Owner.Length > 0 || vip.L2NotOwnerReason.Length > 0 || vip.L2Interfaces.Count > 0)
        {
            var l2 = new JsonObject
            {
                ["owner"] = vip.L2Owner,
                ["thisNode"] = vip.L2NotOwnerReason.Length == 0 && vip.L2Owner.Length > 0,
                ["interfaces"] = new JsonArray([.. vip.L2Interfaces.Order(StringComparer.Ordinal).Select(i => (JsonNode)i)]),
            };
            if (vip.L2NotOwnerReason.Length > 0)
            {
                l2["reason"] = Cut(vip.L2NotOwnerReason);
            }
            entry["l2"] = l2;
        }
        return entry;
    }

    private static JsonObject Condition(Validity validity, DateTimeOffset? since) => new()
    {
        ["type"] = Conditions.Valid,
        ["status"] = validity.Valid ? "True" : "False",
        ["reason"] = validity.Reason,
        ["message"] = Conditions.Message(validity.Message),
        ["lastTransitionTime"] = Conditions.Time(since ?? DateTimeOffset.UnixEpoch),
    };

    private static string Text(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private static string Cut(string text) => text.Length > MaxReason ? text[..(MaxReason - 1)] + "…" : text;
}
