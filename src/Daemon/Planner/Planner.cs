using System.Collections.Immutable;
using System.Globalization;
using BgpLb.Allocator;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Planner;

/// <summary>
/// Pure: (snapshot, allocations, this node) → <see cref="Plan"/>. Decides, as MetalLB does, which
/// advertisements select a Service's pool and this node, which peers apply to this node and to each
/// advertisement, the prefix each VIP is announced as (aggregationLength), the attributes
/// (localPref, communities), and externalTrafficPolicy: Local (only a node with a ready endpoint
/// announces). The engines diff the plan against what they hold.
/// </summary>
public static class Planner
{
    public static Plan Build(ConfigSnapshot snapshot, IReadOnlyCollection<Assignment> assignments, NodeIdentity node)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(assignments);
        ArgumentNullException.ThrowIfNull(node);

        var peers = snapshot.Peers.Where(p => node.IsSelectedBy(p.NodeSelectors)).ToArray();
        var bgp = SelectBgp(snapshot, node, peers);
        var l2 = SelectL2(snapshot, node);
        var localReady = LocalReady(snapshot, node);
        // Only Local Services need looking up, and they are few: no dictionary of every Service.
        var local = snapshot.Services.Where(s => s.ExternalTrafficPolicy == ExternalTrafficPolicy.Local).Select(s => s.Key).ToHashSet();

        var routes = new PeerRoutes[peers.Length];
        for (var i = 0; i < peers.Length; i++)
        {
            routes[i] = new PeerRoutes();
        }
        var l2Vips = new Dictionary<string, List<IpAddress>>(StringComparer.Ordinal);
        var notices = ImmutableArray.CreateBuilder<ServiceNotice>();
        // One reason per pool, not per Service: withdrawing every advertisement leaves 100,000 Services
        // announced nowhere, all for the same few reasons.
        var nowhere = new Dictionary<(string Pool, bool HadBgp), string>();
        var localReason = $"externalTrafficPolicy is Local and node {node.Name} has no ready endpoint";

        foreach (var assignment in assignments)
        {
            var bgpAds = bgp.GetValueOrDefault(assignment.Pool) ?? [];
            var l2Ads = l2.GetValueOrDefault(assignment.Pool) ?? [];
            if (local.Contains(assignment.Service) && !localReady.Contains(assignment.Service))
            {
                notices.Add(new ServiceNotice(assignment.Service, localReason));
                continue;
            }
            var announced = false;
            foreach (var ad in bgpAds)
            {
                foreach (var address in assignment.Addresses)
                {
                    var prefix = ad.PrefixOf(address);
                    foreach (var peer in ad.PeerIndexes)
                    {
                        routes[peer].Add(prefix, ad);
                        announced = true;
                    }
                }
            }
            foreach (var ad in l2Ads)
            {
                foreach (var name in ad.Interfaces.IsDefaultOrEmpty ? [""] : ad.Interfaces)
                {
                    if (!l2Vips.TryGetValue(name, out var list))
                    {
                        l2Vips[name] = list = [];
                    }
                    list.AddRange(assignment.Addresses);
                    announced = true;
                }
            }
            if (!announced)
            {
                var why = (assignment.Pool, bgpAds.Length > 0);
                if (!nowhere.TryGetValue(why, out var reason))
                {
                    nowhere[why] = reason = WhyNowhere(snapshot, node, why.Pool, why.Item2);
                }
                notices.Add(new ServiceNotice(assignment.Service, reason));
            }
        }

        var peerPlans = ImmutableArray.CreateBuilder<PeerPlan>(peers.Length);
        for (var i = 0; i < peers.Length; i++)
        {
            peerPlans.Add(new PeerPlan(peers[i], routes[i].ToList()));
        }
        var l2Plans = l2Vips
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new L2Plan(p.Key, [.. p.Value.Distinct().Order()]))
            .ToImmutableArray();
        return new Plan(peerPlans.MoveToImmutable(), l2Plans, notices.ToImmutable());
    }

    /// <summary>Per pool name, the BGP advertisements that select it and this node, each with the peers (indexes into <paramref name="peers"/>) it goes to.</summary>
    private static Dictionary<string, BgpAd[]> SelectBgp(ConfigSnapshot snapshot, NodeIdentity node, BgpPeerConfig[] peers)
    {
        var byPool = new Dictionary<string, List<BgpAd>>(StringComparer.Ordinal);
        foreach (var ad in snapshot.BgpAdvertisements)
        {
            if (!node.IsSelectedBy(ad.NodeSelectors))
            {
                continue;
            }
            // MetalLB: an advertisement naming no peer goes to every peer; a named peer that does not
            // exist (or does not apply to this node) is simply not among them.
            int[] targets = [.. Enumerable.Range(0, peers.Length)
                .Where(i => ad.Peers.IsDefaultOrEmpty || ad.Peers.Contains(peers[i].Name, StringComparer.Ordinal))];
            if (targets.Length == 0)
            {
                continue;
            }
            var selected = new BgpAd(ad, targets);
            foreach (var pool in snapshot.Pools.Where(p => Selects(ad.IpAddressPools, ad.IpAddressPoolSelectors, p)))
            {
                if (!byPool.TryGetValue(pool.Name, out var list))
                {
                    byPool[pool.Name] = list = [];
                }
                list.Add(selected);
            }
        }
        return byPool.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    private static Dictionary<string, L2AdvertisementConfig[]> SelectL2(ConfigSnapshot snapshot, NodeIdentity node)
    {
        var byPool = new Dictionary<string, List<L2AdvertisementConfig>>(StringComparer.Ordinal);
        foreach (var ad in snapshot.L2Advertisements.Where(a => node.IsSelectedBy(a.NodeSelectors)))
        {
            foreach (var pool in snapshot.Pools.Where(p => Selects(ad.IpAddressPools, ad.IpAddressPoolSelectors, p)))
            {
                if (!byPool.TryGetValue(pool.Name, out var list))
                {
                    byPool[pool.Name] = list = [];
                }
                list.Add(ad);
            }
        }
        return byPool.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>MetalLB: pools by name or by label selector; an advertisement with neither takes every pool.</summary>
    internal static bool Selects(ImmutableArray<string> names, ImmutableArray<LabelSelector> selectors, IpAddressPoolConfig pool)
    {
        var noNames = names.IsDefaultOrEmpty;
        var noSelectors = selectors.IsDefaultOrEmpty;
        return (noNames && noSelectors)
            || (!noNames && names.Contains(pool.Name, StringComparer.Ordinal))
            || (!noSelectors && selectors.Any(s => s.Matches(pool.Labels)));
    }

    /// <summary>Services with at least one ready endpoint on this node, from the EndpointSlices.</summary>
    private static HashSet<ServiceKey> LocalReady(ConfigSnapshot snapshot, NodeIdentity node) =>
        [.. snapshot.EndpointSlices.Where(s => s.ReadyNodes.Contains(node.Name, StringComparer.Ordinal)).Select(s => s.Service)];

    private static string WhyNowhere(ConfigSnapshot snapshot, NodeIdentity node, string pool, bool hadBgp)
    {
        if (hadBgp)
        {
            // Only reachable when every advertisement had peers but none applied: kept for completeness of reasons.
            return $"the advertisements of pool {pool} reach no peer of node {node.Name}";
        }
        var any = snapshot.BgpAdvertisements.Any(a => Selects(a.IpAddressPools, a.IpAddressPoolSelectors, PoolNamed(snapshot, pool)))
            || snapshot.L2Advertisements.Any(a => Selects(a.IpAddressPools, a.IpAddressPoolSelectors, PoolNamed(snapshot, pool)));
        return any
            ? string.Create(CultureInfo.InvariantCulture, $"no advertisement of pool {pool} selects node {node.Name} together with a BGP peer that applies to it")
            : $"pool {pool} is in no BGPAdvertisement or L2Advertisement";
    }

    private static IpAddressPoolConfig PoolNamed(ConfigSnapshot snapshot, string pool) =>
        snapshot.Pools.First(p => string.Equals(p.Name, pool, StringComparison.Ordinal));

    /// <summary>An advertisement as it applies here: its peers and its attributes, built once and shared by every route it makes.</summary>
    private sealed class BgpAd
    {
        public BgpAd(BgpAdvertisementConfig config, int[] peerIndexes)
        {
            Config = config;
            PeerIndexes = peerIndexes;
            Communities = config.Communities.Where(c => !c.IsLarge).Select(c => new Community((c.GlobalAdministrator << 16) | c.LocalData1)).Distinct().ToArray();
            LargeCommunities = config.Communities.Where(c => c.IsLarge).Select(c => new LargeCommunity(c.GlobalAdministrator, c.LocalData1, c.LocalData2)).Distinct().ToArray();
        }

        public BgpAdvertisementConfig Config { get; }

        public int[] PeerIndexes { get; }

        public ValueArray<Community> Communities { get; }

        public ValueArray<LargeCommunity> LargeCommunities { get; }

        public IpPrefix PrefixOf(IpAddress address) => address.Family == IpFamily.IPv4
            ? IpPrefix.V4((uint)address.Value, Config.AggregationLength)
            : IpPrefix.V6(address.Value, Config.AggregationLengthV6);
    }

    /// <summary>
    /// One peer's routes by prefix. Several VIPs in one aggregate make one route; several
    /// advertisements of one prefix to one peer merge: the union of their communities and the
    /// highest localPref (the most preferred of what the operator asked for).
    /// </summary>
    private sealed class PeerRoutes
    {
        private readonly Dictionary<IpPrefix, int> _index = [];
        private readonly List<(Route Route, BgpAd? Source)> _routes = [];

        public void Add(IpPrefix prefix, BgpAd ad)
        {
            if (!_index.TryGetValue(prefix, out var at))
            {
                _index.Add(prefix, _routes.Count);
                _routes.Add((new Route(prefix) { LocalPref = ad.Config.LocalPref, Communities = ad.Communities, LargeCommunities = ad.LargeCommunities }, ad));
                return;
            }
            var (route, source) = _routes[at];
            if (ReferenceEquals(source, ad))
            {
                return; // another VIP of the same aggregate
            }
            _routes[at] = (Merge(route, ad), null);
        }

        private static Route Merge(Route route, BgpAd ad) => route with
        {
            LocalPref = (route.LocalPref, ad.Config.LocalPref) switch
            {
                ({ } a, { } b) => Math.Max(a, b),
                (var a, var b) => a ?? b,
            },
            Communities = Union(route.Communities, ad.Communities),
            LargeCommunities = Union(route.LargeCommunities, ad.LargeCommunities),
        };

        private static ValueArray<T> Union<T>(ValueArray<T> a, ValueArray<T> b) => a.Concat(b).Distinct().ToArray();

        public List<Route> ToList() => [.. _routes.Select(r => r.Route)];
    }
}
