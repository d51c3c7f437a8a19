using BgpLb.Allocator;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.Daemon.Runtime;
using BgpLb.L2Fallback;
using Prometheus;

namespace BgpLb.Daemon.Metrics;

/// <summary>
/// The daemon's Prometheus metrics (docs/operations.md): names with the <c>bgplb_</c> prefix, base
/// units, <c>_total</c> on counters, mirroring MetalLB's where it has one
/// (<c>metallb_bgp_session_up</c> → <c>bgplb_bgp_session_up</c>). Gauges are read from the status
/// model at each scrape; counters of events (flaps, NOTIFICATIONs, rejected reloads) are counted as
/// they happen, so a peer that is re-created does not lose them.
/// </summary>
internal sealed class DaemonMetrics : IDisposable
{
    private readonly DaemonHost _host;
    private readonly TimeProvider _time;
    private readonly Gauge _sessionUp;
    private readonly Gauge _sessionState;
    private readonly Gauge _sessionUptime;
    private readonly Counter _updatesSent;
    private readonly Counter _updatesReceived;
    private readonly Gauge _announced;
    private readonly Gauge _received;
    private readonly Counter _notifications;
    private readonly Counter _flaps;
    private readonly Gauge _bfdUp;
    private readonly Gauge _bfdDetection;
    private readonly Gauge _inUse;
    private readonly Gauge _addresses;
    private readonly Counter _allocationFailures;
    private readonly Gauge _reloadOk;
    private readonly Gauge _stale;
    private readonly Counter _reloadErrors;
    private readonly Gauge _lastApplied;
    private readonly Gauge _drained;
    private readonly Counter _bfdDowns;
    private readonly Gauge _l2Owned;
    private readonly Counter _l2Gratuitous;
    private readonly Counter _l2Responses;
    private readonly Counter _l2Ignored;
    private readonly Counter _l2OwnerChanges;
    private readonly HashSet<string> _peers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bfdPeers = new(StringComparer.Ordinal);

    public DaemonMetrics(CollectorRegistry registry, DaemonHost host, TimeProvider time)
    {
        _host = host;
        _time = time;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        string[] peer = ["peer"];
        _sessionUp = factory.CreateGauge("bgplb_bgp_session_up", "1 when the BGP session with the peer is Established, else 0", peer);
        _sessionState = factory.CreateGauge("bgplb_bgp_session_state", "RFC 4271 FSM state as in BGP4-MIB bgpPeerState: 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established", peer);
        _sessionUptime = factory.CreateGauge("bgplb_bgp_session_uptime_seconds", "Seconds since the session reached Established (0 when it is not)", peer);
        _updatesSent = factory.CreateCounter("bgplb_bgp_updates_sent_total", "UPDATE messages sent to the peer", peer);
        _updatesReceived = factory.CreateCounter("bgplb_bgp_updates_received_total", "UPDATE messages received from the peer", peer);
        _announced = factory.CreateGauge("bgplb_bgp_announced_prefixes", "Prefixes the peer is given (Adj-RIB-Out)", peer);
        _received = factory.CreateGauge("bgplb_bgp_received_prefixes", "Prefixes held from the peer (Adj-RIB-In)", peer);
        _notifications = factory.CreateCounter("bgplb_bgp_notifications_total", "NOTIFICATION messages by direction (sent, received), error code and subcode", ["peer", "direction", "code", "subcode"]);
        _flaps = factory.CreateCounter("bgplb_bgp_session_flaps_total", "Times an Established session went down", peer);
        _bfdUp = factory.CreateGauge("bgplb_bfd_session_up", "1 when the BFD session towards the BGP peer is Up", peer);
        _bfdDetection = factory.CreateGauge("bgplb_bfd_detection_time_seconds", "The BFD session's detection time (RFC 5880 §6.8.4)", peer);
        _inUse = factory.CreateGauge("bgplb_allocator_addresses_in_use_total", "Addresses of the pool assigned to Services", ["pool", "family"]);
        _addresses = factory.CreateGauge("bgplb_allocator_addresses_total", "Addresses of the pool, in use or free (IPv6 saturates at the largest double)", ["pool", "family"]);
        _allocationFailures = factory.CreateCounter("bgplb_allocator_allocation_failures_total", "Services whose allocation failed, by reason (AllocationErrorKind)", ["reason"]);
        _reloadOk = factory.CreateGauge("bgplb_config_last_reload_successful", "1 when the last load or reload of the configuration was applied, 0 when it was rejected");
        _stale = factory.CreateGauge("bgplb_config_stale", "1 when the running configuration is older than the files (the last reload was rejected)");
        _reloadErrors = factory.CreateCounter("bgplb_config_reload_errors_total", "Reloads rejected because the new configuration was invalid");
        _lastApplied = factory.CreateGauge("bgplb_config_last_applied_timestamp_seconds", "Unix time at which the running configuration was applied");
        _drained = factory.CreateGauge("bgplb_node_drained", "0 serving, 1 draining (GRACEFUL_SHUTDOWN announced), 2 withdrawn");
        _bfdDowns = factory.CreateCounter("bgplb_bfd_session_down_events_total", "Times the BFD session towards the BGP peer left Up, by local diagnostic (RFC 5880 §4.1)", ["peer", "diagnostic"]);
        _l2Owned = factory.CreateGauge("bgplb_l2_owned_vips", "VIPs this node answers ARP/NDP for (owned, on at least one interface)");
        _l2Gratuitous = factory.CreateCounter("bgplb_l2_gratuitous_sent_total", "Gratuitous ARP frames (protocol arp) and unsolicited Neighbor Advertisements (protocol ndp) sent", ["interface", "protocol"]);
        _l2Responses = factory.CreateCounter("bgplb_l2_responses_sent_total", "ARP requests and Neighbor Solicitations answered", ["interface", "protocol"]);
        _l2Ignored = factory.CreateCounter("bgplb_l2_requests_ignored_total", "ARP and NDP frames received and not answered, by reason (L2DropReason)", ["interface", "protocol", "reason"]);
        _l2OwnerChanges = factory.CreateCounter("bgplb_l2_ownership_changes_total", "Services whose L2 owner changed: taken (by this node), released (by this node), moved (between other nodes)", ["change"]);
        registry.AddBeforeCollectCallback(CollectAsync);
        host.Changed += OnEvent;
        host.AllocationFailed += OnAllocationFailed;
        host.Speaker.PeerStateChanged += OnTransition;
        host.Bfd.SessionDown += OnBfdDown;
        host.Layer2.OwnerChanged += OnOwnerChanged;
    }

    private void OnBfdDown(string peer, string diagnostic) => _bfdDowns.WithLabels(peer, diagnostic).Inc();

    private void OnOwnerChanged(L2OwnerChange change) => _l2OwnerChanges.WithLabels(change.ToString().ToLowerInvariant()).Inc();

    /// <summary>The L2 responders' counters: counted by the receive loops as each frame comes, kept across announcer restarts, so a scrape loses nothing.</summary>
    private void CollectLayer2()
    {
        var layer2 = _host.Layer2;
        _l2Owned.Set(layer2.OwnedVips);
        foreach (var (name, counters) in layer2.Counters)
        {
            _l2Gratuitous.WithLabels(name, "arp").IncTo(counters.GratuitousArps);
            _l2Gratuitous.WithLabels(name, "ndp").IncTo(counters.UnsolicitedAdvertisements);
            _l2Responses.WithLabels(name, "arp").IncTo(counters.Arp(L2DropReason.None));
            _l2Responses.WithLabels(name, "ndp").IncTo(counters.Ndp(L2DropReason.None));
            foreach (var reason in Enum.GetValues<L2DropReason>().Where(r => r != L2DropReason.None))
            {
                // Only reasons that happened: eight reasons by two protocols per interface would mostly be zeros.
                if (counters.Arp(reason) > 0)
                {
                    _l2Ignored.WithLabels(name, "arp", reason.ToString()).IncTo(counters.Arp(reason));
                }
                if (counters.Ndp(reason) > 0)
                {
                    _l2Ignored.WithLabels(name, "ndp", reason.ToString()).IncTo(counters.Ndp(reason));
                }
            }
        }
    }

    private void OnEvent(DaemonEvent e)
    {
        if (e.Kind == DaemonEvent.ConfigRejected)
        {
            _reloadErrors.Inc();
        }
    }

    private void OnAllocationFailed(AllocationErrorKind reason) => _allocationFailures.WithLabels(reason.ToString()).Inc();

    private void OnTransition(string peer, Transition transition)
    {
        if (transition.From == BgpState.Established && transition.To != BgpState.Established)
        {
            _flaps.WithLabels(peer).Inc();
        }
        foreach (var down in transition.Actions.OfType<SessionDown>())
        {
            if (down.Notification is { } notification)
            {
                var received = down.Reason is DownReason.NotificationReceived or DownReason.VersionNotificationReceived;
                _notifications.WithLabels(peer, received ? "received" : "sent", notification.Code.ToString(), notification.SubcodeName).Inc();
            }
        }
    }

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var peer in _host.Speaker.Peers)
        {
            seen.Add(peer.Name);
            _sessionUp.WithLabels(peer.Name).Set(peer.State == BgpState.Established ? 1 : 0);
            _sessionState.WithLabels(peer.Name).Set(MibState(peer.State));
            _sessionUptime.WithLabels(peer.Name).Set(peer.EstablishedSince is { } since ? (now - since).TotalSeconds : 0);
            _updatesSent.WithLabels(peer.Name).IncTo(peer.UpdatesSent);
            _updatesReceived.WithLabels(peer.Name).IncTo(peer.UpdatesReceived);
            _announced.WithLabels(peer.Name).Set(peer.RoutesAdvertised);
            _received.WithLabels(peer.Name).Set(peer.ReceivedRoutes.Held);
        }
        Forget(_peers, seen, _sessionUp, _sessionState, _sessionUptime, _announced, _received);

        var bfd = new HashSet<string>(StringComparer.Ordinal);
        foreach (var session in await _host.BfdStatusAsync(cancellationToken).ConfigureAwait(false))
        {
            bfd.Add(session.Peer);
            _bfdUp.WithLabels(session.Peer).Set(session.Status?.State == BfdSession.Wire.BfdState.Up ? 1 : 0);
            _bfdDetection.WithLabels(session.Peer).Set(session.Status?.DetectionTime.TotalSeconds ?? 0);
        }
        Forget(_bfdPeers, bfd, _bfdUp, _bfdDetection);

        foreach (var pool in _host.PoolUsage)
        {
            _inUse.WithLabels(pool.Pool, "IPv4").Set((double)pool.IPv4InUse);
            _addresses.WithLabels(pool.Pool, "IPv4").Set((double)(pool.IPv4InUse + pool.IPv4Available));
            _inUse.WithLabels(pool.Pool, "IPv6").Set((double)pool.IPv6InUse);
            _addresses.WithLabels(pool.Pool, "IPv6").Set(Total(pool));
        }
        var rejected = _host.LastRejected is not null;
        _reloadOk.Set(rejected ? 0 : 1);
        _stale.Set(rejected ? 1 : 0);
        if (_host.ConfigAppliedAt is { } applied)
        {
            _lastApplied.Set(applied.ToUnixTimeMilliseconds() / 1000.0);
        }
        _drained.Set((int)_host.NodeDrain.Phase);
        CollectLayer2();
    }

    /// <summary>In use plus available, saturated: both may be near 2^128.</summary>
    private static double Total(PoolStatus pool) =>
        UInt128.MaxValue - pool.IPv6InUse < pool.IPv6Available ? (double)UInt128.MaxValue : (double)(pool.IPv6InUse + pool.IPv6Available);

    /// <summary>A peer that is gone must not keep reporting its last values.</summary>
    private static void Forget(HashSet<string> known, HashSet<string> seen, params Gauge[] gauges)
    {
        foreach (var gone in known.Where(k => !seen.Contains(k)).ToList())
        {
            foreach (var gauge in gauges)
            {
                gauge.RemoveLabelled(gone);
            }
            known.Remove(gone);
        }
        known.UnionWith(seen);
    }

    /// <summary>BGP4-MIB (RFC 4273) bgpPeerState numbering.</summary>
    private static int MibState(BgpState state) => state switch
    {
        BgpState.Idle => 1,
        BgpState.Connect => 2,
        BgpState.Active => 3,
        BgpState.OpenSent => 4,
        BgpState.OpenConfirm => 5,
        BgpState.Established => 6,
        _ => 0,
    };

    public void Dispose()
    {
        _host.Changed -= OnEvent;
        _host.AllocationFailed -= OnAllocationFailed;
        _host.Speaker.PeerStateChanged -= OnTransition;
        _host.Bfd.SessionDown -= OnBfdDown;
        _host.Layer2.OwnerChanged -= OnOwnerChanged;
    }
}
