using System.Globalization;
using System.Net;
using BgpLb.Admin.V1;
using V1 = BgpLb.Admin.V1;
using BgpLb.Allocator;
using BgpLb.BgpSpeaker;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Planner;
using BgpLb.Daemon.Runtime;
using Google.Protobuf.WellKnownTypes;

namespace BgpLb.Daemon.Admin;

/// <summary>The daemon's state as admin API messages: every view reads one model (DESIGN §4 "status is authoritative").</summary>
internal static class AdminViews
{
    public static Peer Peer(PeerStatus status, string? bfdState, DateTimeOffset now)
    {
        var peer = new Peer
        {
            Name = status.Name,
            Address = Plain(status.Remote.Address).ToString(),
            Port = (uint)status.Remote.Port,
            LocalAsn = status.Options?.LocalAsn ?? 0,
            PeerAsn = status.Negotiated?.PeerAsn ?? (status.Options?.PeerAsn is { Kind: PeerAsnKind.Fixed } fixedAsn ? fixedAsn.Asn : 0),
            State = status.State.ToString(),
            LastDownReason = status.LastDown is { } down ? down.Reason.ToString() : "",
            LastError = status.LastConnectionError ?? "",
            UpdatesSent = (ulong)status.UpdatesSent,
            UpdatesReceived = (ulong)status.UpdatesReceived,
            PrefixesAdvertised = (ulong)status.RoutesAdvertised,
            PrefixesReceived = (ulong)status.ReceivedRoutes.Held,
            Flaps = (ulong)status.Flaps,
            BfdState = bfdState ?? "",
            Internal = status.Options?.IsInternal ?? false,
        };
        if (status.EstablishedSince is { } since)
        {
            peer.EstablishedSince = Timestamp.FromDateTimeOffset(since);
            peer.Uptime = Duration.FromTimeSpan(now - since);
        }
        if (status.LastNotificationSent is { } sent)
        {
            peer.LastNotificationSent = Notification(sent);
        }
        if (status.LastNotificationReceived is { } received)
        {
            peer.LastNotificationReceived = Notification(received);
        }
        if (status.Negotiated is { } negotiated)
        {
            peer.Internal = !negotiated.IsExternal;
            peer.HoldTimeSeconds = (uint)negotiated.HoldTime.TotalSeconds;
            peer.KeepaliveSeconds = (uint)negotiated.KeepaliveTime.TotalSeconds;
            peer.PeerRouterId = new IPAddress(BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(negotiated.PeerRouterId) : negotiated.PeerRouterId).ToString();
            peer.Families.AddRange(negotiated.Families.Select(f => f.ToString()));
            peer.Capabilities.AddRange(Capabilities(negotiated));
        }
        return peer;
    }

    /// <summary>What both OPENs agreed, by the names operators know from BIRD and FRR.</summary>
    private static IEnumerable<string> Capabilities(NegotiatedSession session)
    {
        if (session.Codec.FourOctetAsn)
        {
            yield return "4-octet-asn";
        }
        if (session.RouteRefresh)
        {
            yield return "route-refresh";
        }
        if (session.EnhancedRouteRefresh)
        {
            yield return "enhanced-route-refresh";
        }
        if (session.Codec.MaxMessageLength > BgpHeader.MaxMessageLength)
        {
            yield return "extended-message";
        }
        if (session.PeerGracefulRestart is not null)
        {
            yield return "graceful-restart";
        }
        if (session.Codec.AddPathSend != AddPathFamilies.None || session.Codec.AddPathReceive != AddPathFamilies.None)
        {
            yield return "add-path";
        }
    }

    public static V1.Notification Notification(NotificationSeen seen)
    {
        var message = seen.Message;
        return new V1.Notification
        {
            Code = (uint)message.Code,
            Subcode = message.Subcode,
            Text = $"{message.Code} / {message.SubcodeName}",
            Communication = message.TryGetShutdownCommunication(out var text) ? text : "",
            Time = Timestamp.FromDateTimeOffset(seen.Time),
        };
    }

    /// <summary>A route we advertise: the operator's attributes (next hop and AS_PATH are the session's own, RFC 4271 §5.1.3).</summary>
    public static V1.Route Advertised(BgpSpeaker.Rib.Route route, bool internalPeer)
    {
        var view = new V1.Route { Prefix = route.Prefix.ToString() };
        view.Communities.AddRange(route.Communities.Select(Community));
        view.LargeCommunities.AddRange(route.LargeCommunities.Select(c => c.ToString()));
        if (internalPeer)
        {
            // RFC 4271 §5.1.5: LOCAL_PREF only to internal peers; the export policy's default when unset.
            view.LocalPref = route.LocalPref ?? ExportPolicy.DefaultLocalPref;
        }
        if (route.MultiExitDisc is { } med)
        {
            view.Med = med;
        }
        return view;
    }

    public static V1.Route Received(ReceivedRoute route)
    {
        var view = new V1.Route
        {
            Prefix = route.Nlri.ToString(),
            NextHop = route.NextHop?.ToString() ?? "",
            AsPath = route.Attributes.AsPath?.ToString() ?? "",
        };
        view.Communities.AddRange(route.Attributes.Communities.Select(Community));
        view.LargeCommunities.AddRange(route.Attributes.LargeCommunities.Select(c => c.ToString()));
        if (route.Attributes.LocalPref is { } localPref)
        {
            view.LocalPref = localPref;
        }
        if (route.Attributes.MultiExitDisc is { } med)
        {
            view.Med = med;
        }
        return view;
    }

    /// <summary>RFC 1997 notation, numbers even for well-known values (65535:0 is what BIRD and FRR print).</summary>
    private static string Community(Community community) => string.Create(CultureInfo.InvariantCulture, $"{community.Value >> 16}:{community.Value & 0xFFFF}");

    public static Pool Pool(PoolStatus status) => new()
    {
        Name = status.Pool,
        Ipv4InUse = status.IPv4InUse.ToString(CultureInfo.InvariantCulture),
        Ipv4Available = status.IPv4Available.ToString(CultureInfo.InvariantCulture),
        Ipv6InUse = status.IPv6InUse.ToString(CultureInfo.InvariantCulture),
        Ipv6Available = status.IPv6Available.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Every allocated Service with, for each configured BGP peer, whether this node advertises it
    /// and if not why: the peer does not select this node, no advertisement sends the pool to the
    /// peer, the planner's reason (no ready endpoint, …), draining, or the session is down.
    /// </summary>
    public static IEnumerable<Vip> Vips(DaemonHost host, string node)
    {
        if (host.Current is not { } snapshot || host.LastPlan is not { } plan)
        {
            yield break;
        }
        var planned = plan.Peers.ToDictionary(p => p.Key, p => Prefixes(p.Routes), StringComparer.Ordinal);
        var states = host.Speaker.Peers.ToDictionary(p => p.Name, p => p.State, StringComparer.Ordinal);
        var notices = plan.NotAnnounced.ToDictionary(n => n.Service, n => n.Reason);
        var drain = host.NodeDrain;
        var keys = snapshot.Peers.Select(p => new PeerPlan(p, RouteSet.Empty).Key).ToList();
        var l2 = host.Layer2Status().Vips.ToLookup(v => v.Service, StringComparer.Ordinal);
        foreach (var assignment in host.Assignments)
        {
            var vip = new Vip { Service = assignment.Service.ToString(), Pool = assignment.Pool };
            vip.Addresses.AddRange(assignment.Addresses.Select(a => a.ToString()));
            Layer2(vip, l2[vip.Service]);
            var notice = notices.GetValueOrDefault(assignment.Service);
            vip.NotAnnounced = notice ?? "";
            foreach (var key in keys)
            {
                var entry = new VipPeer { Peer = key };
                if (!planned.TryGetValue(key, out var prefixes))
                {
                    entry.Reason = $"the BGPPeer's nodeSelectors do not select node {node}";
                }
                else if (!assignment.Addresses.All(a => prefixes.Contains(a)))
                {
                    entry.Reason = notice ?? $"no BGPAdvertisement sends pool {assignment.Pool} to this peer";
                }
                else if (drain.Phase == DrainPhase.Withdrawn)
                {
                    entry.Reason = "draining: withdrawn";
                }
                else if (states.GetValueOrDefault(key) != BgpState.Established)
                {
                    entry.Reason = $"session down ({states.GetValueOrDefault(key)})";
                }
                else
                {
                    entry.Advertised = true;
                    entry.Reason = drain.Phase == DrainPhase.GracefulShutdown
                        ? $"draining: GRACEFUL_SHUTDOWN until {drain.WithdrawAt:u}"
                        : "";
                }
                vip.Peers.Add(entry);
            }
            yield return vip;
        }
        // The speaker's Services whose status names an address it cannot announce (in no pool, …): listed, with why.
        foreach (var unassigned in host.Unassigned)
        {
            var vip = new Vip { Service = unassigned.Service.ToString(), NotAnnounced = unassigned.Reason };
            vip.Addresses.AddRange(unassigned.Addresses.Select(a => a.ToString()));
            yield return vip;
        }
    }

    /// <summary>
    /// The L2 part of a Service's line: the owner the election chose (one per Service: MetalLB elects by
    /// its first address), the interfaces this node answers on, and why it does not when it is not the owner.
    /// </summary>
    private static void Layer2(Vip vip, IEnumerable<L2VipStatus> addresses)
    {
        var list = addresses.ToList();
        if (list.Count == 0)
        {
            return;
        }
        vip.L2Owner = list[0].Owner ?? "";
        vip.L2Interfaces.AddRange(list.SelectMany(a => a.Interfaces).Distinct(StringComparer.Ordinal));
        if (list[0].Role != L2Role.Owner)
        {
            vip.L2NotOwnerReason = list[0].Owner is null ? "no node may answer: " + list[0].Detail : list[0].Detail;
        }
    }

    /// <summary>The VIPs a peer's routes cover (a route may aggregate several).</summary>
    private static PrefixIndex Prefixes(RouteSet routes) => new(routes);

    /// <summary>Which addresses a list of routes covers: one set of prefixes, looked up at each length in use.</summary>
    private sealed class PrefixIndex(RouteSet routes)
    {
        private readonly int[] _lengths = [.. routes.Select(r => (int)r.Prefix.Length).Distinct()];

        public bool Contains(IpAddress address)
        {
            foreach (var length in _lengths)
            {
                var prefix = address.Family == IpFamily.IPv4
                    ? length <= 32 ? IpPrefix.V4((uint)address.Value, length) : default
                    : IpPrefix.V6(address.Value, length);
                if (prefix.Length == length && routes.Find(prefix) is not null)
                {
                    return true;
                }
            }
            return false;
        }
    }

    public static DrainStatus Drain(Runtime.Drain drain)
    {
        var status = new DrainStatus { Phase = drain.Phase.ToString(), Since = Timestamp.FromDateTimeOffset(drain.Since) };
        if (drain.WithdrawAt is { } at)
        {
            status.WithdrawAt = Timestamp.FromDateTimeOffset(at);
        }
        return status;
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
