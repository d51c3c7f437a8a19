using System.Collections.Immutable;
using BgpLb.L2Fallback.Election;
using BgpLb.L2Fallback.Liveness;
using BgpLb.L2Fallback.Transport;

namespace BgpLb.L2Fallback;

/// <summary>
/// Ties liveness, election and announcer together on one node: whenever the Services, the nodes or
/// the alive set change, it re-runs the election for every Service and hands the announcer the VIPs
/// this node wins, on the interfaces selected for each.
/// </summary>
public sealed class L2Controller : IDisposable
{
    private readonly string _self;
    private readonly L2Announcer _announcer;
    private readonly Func<string, bool> _isAlive;
    private readonly ImmutableArray<LinkInfo> _links;
    private readonly DefaultRoutes _routes;
    private readonly HeartbeatLiveness? _liveness;
    private readonly Lock _lock = new();
    private ImmutableArray<ElectionNode> _nodes = [];
    private ImmutableArray<L2Service> _services = [];
    private ImmutableArray<L2ServiceStatus> _status = [];

    /// <param name="self">This node's name.</param>
    /// <param name="announcer">The announcer this controller drives.</param>
    /// <param name="isAlive">Liveness of a node's daemon.</param>
    /// <param name="links">This node's interfaces.</param>
    /// <param name="routes">This node's default routes.</param>
    public L2Controller(string self, L2Announcer announcer, Func<string, bool> isAlive, ImmutableArray<LinkInfo> links, DefaultRoutes routes)
    {
        _self = self ?? throw new ArgumentNullException(nameof(self));
        _announcer = announcer ?? throw new ArgumentNullException(nameof(announcer));
        _isAlive = isAlive ?? throw new ArgumentNullException(nameof(isAlive));
        _links = links;
        _routes = routes ?? throw new ArgumentNullException(nameof(routes));
    }

    /// <summary>Runs on <paramref name="liveness"/>: every member change re-runs the elections.</summary>
    public L2Controller(string self, L2Announcer announcer, HeartbeatLiveness liveness, ImmutableArray<LinkInfo> links, DefaultRoutes routes)
        : this(self, announcer, (liveness ?? throw new ArgumentNullException(nameof(liveness))).IsAlive, links, routes)
    {
        _liveness = liveness;
        _liveness.Changed += OnMemberChanged;
    }

    public ImmutableArray<L2ServiceStatus> Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>New Services or nodes (the whole set each time).</summary>
    public void Update(ImmutableArray<ElectionNode> nodes, ImmutableArray<L2Service> services)
    {
        lock (_lock)
        {
            _nodes = nodes;
            _services = services;
            Reconcile();
        }
    }

    /// <summary>Re-runs the elections against the current alive set (called by liveness changes; callable for a timer-driven check).</summary>
    public void Reconcile()
    {
        lock (_lock)
        {
            var owned = new List<OwnedVip>();
            var status = ImmutableArray.CreateBuilder<L2ServiceStatus>(_services.Length);
            foreach (var service in _services)
            {
                var result = L2Election.Elect(service.Election, _nodes, _isAlive);
                var here = ImmutableArray<OwnedVip>.Empty;
                if (result.Owner == _self)
                {
                    here = [.. service.Addresses.Select(a => new OwnedVip(a,
                        [.. InterfaceSelector.Select(_links, _routes, a, service.Interfaces).Interfaces.Select(l => l.Name)]))];
                    owned.AddRange(here);
                }
                status.Add(new L2ServiceStatus(service.Key, service.Addresses, result, here));
            }
            _status = status.MoveToImmutable();
            _announcer.SetOwned(owned);
        }
    }

    private void OnMemberChanged(MemberEntry change)
    {
        Reconcile();
        if (change.Status == MemberStatus.Alive)
        {
            // A member (re)appeared, perhaps from the other side of a healed partition, where it
            // answered for our VIPs: announce them again so neighbours come back to us now.
            _announcer.Reannounce();
        }
    }

    public void Dispose()
    {
        if (_liveness is not null)
        {
            _liveness.Changed -= OnMemberChanged;
        }
    }
}
