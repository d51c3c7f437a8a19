using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>One peer's session settings, validated by the caller (config edge) before use.</summary>
public sealed record PeerOptions
{
    /// <summary>RFC 4271 §4.2: the Hold Time is 0 or at least 3 seconds.</summary>
    public const ushort MinHoldTime = 3;

    /// <summary>RFC 4271 §8.2.2: the Hold Timer while waiting for the peer's OPEN ("a large value ... 4 minutes").</summary>
    public static readonly TimeSpan OpenHoldTime = TimeSpan.FromMinutes(4);

    public required uint LocalAsn { get; init; }

    public required PeerAsn PeerAsn { get; init; }

    /// <summary>Our BGP Identifier.</summary>
    public required uint RouterId { get; init; }

    /// <summary>Seconds; 0 disables keepalives and the hold timer (RFC 4271 §4.2).</summary>
    public ushort HoldTime { get; init; } = 90;

    /// <summary>Null: a third of the negotiated hold time (RFC 4271 §10).</summary>
    public TimeSpan? KeepaliveTime { get; init; }

    /// <summary>First ConnectRetry interval; doubles per consecutive failure up to <see cref="MaxConnectRetryTime"/>.</summary>
    public TimeSpan ConnectRetryTime { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxConnectRetryTime { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>RFC 4271 §8.1.1 DelayOpen: wait this long for the peer's OPEN before sending ours.</summary>
    public TimeSpan? DelayOpenTime { get; init; }

    /// <summary>Families to negotiate (Multiprotocol capabilities, RFC 4760 §8).</summary>
    public ValueArray<AfiSafi> Families { get; init; } = new[] { AfiSafi.IPv4Unicast, AfiSafi.IPv6Unicast };

    /// <summary>RFC 4724: advertise Graceful Restart with this restart time (seconds), or not at all.</summary>
    public ushort? GracefulRestartTime { get; init; }

    /// <summary>
    /// RFC 4724 §4.1 Restart State bit: set by a speaker that has just restarted (the daemon knows:
    /// it found its previous state), so that the peer does not wait for our End-of-RIB before
    /// sending its own, which would deadlock two restarting speakers. Only with <see cref="GracefulRestartTime"/>.
    /// </summary>
    public bool Restarted { get; init; }

    /// <summary>
    /// Paths received from the peer kept for display (<see cref="Rib.AdjRibIn"/>); more are counted,
    /// not kept. A load balancer's routers usually send nothing or a default route.
    /// </summary>
    public int MaxReceivedRoutes { get; init; } = 10_000;

    /// <summary>Families for which we send several paths (RFC 7911); none by default.</summary>
    public AddPathFamilies AddPathSend { get; init; }

    /// <summary>RFC 6286 §2.1: an internal peer must not use our BGP Identifier; an external one may.</summary>
    public bool IsInternal => PeerAsn.Kind == PeerAsnKind.Internal || (PeerAsn.Kind == PeerAsnKind.Fixed && PeerAsn.Asn == LocalAsn);

    /// <summary>The OPEN we send.</summary>
    public OpenMessage BuildOpen()
    {
        var capabilities = new List<Capability>();
        foreach (var family in Families)
        {
            capabilities.Add(new MultiprotocolCapability(family));
        }
        capabilities.Add(new RouteRefreshCapability());
        capabilities.Add(new EnhancedRouteRefreshCapability());
        capabilities.Add(new FourOctetAsnCapability(LocalAsn));
        capabilities.Add(new ExtendedMessageCapability());
        if (GracefulRestartTime is { } restart)
        {
            // RFC 4724 §3: F bit set so the peer keeps our routes while we restart; we originate
            // them, so our "forwarding state" is the VIPs themselves, which survive a daemon restart.
            // RFC 8538 §2: N bit set: a peer that supports it keeps our routes after a Cease too
            // (our orderly shutdown), and we send Hard Reset when they must go.
            var families = new List<GracefulRestartFamily>();
            foreach (var family in Families)
            {
                families.Add(new GracefulRestartFamily(family, ForwardingStatePreserved: true));
            }
            capabilities.Add(new GracefulRestartCapability(Restarted, true, restart, families.ToArray()));
        }
        if (AddPathSend != AddPathFamilies.None)
        {
            var families = new List<AddPathFamily>();
            foreach (var family in Families)
            {
                if (CodecOptions.Has(AddPathSend, family.Afi))
                {
                    families.Add(new AddPathFamily(family, AddPathMode.Send));
                }
            }
            capabilities.Add(new AddPathCapability(families.ToArray()));
        }
        return OpenMessage.Create(LocalAsn, HoldTime, RouterId, capabilities.ToArray());
    }
}
