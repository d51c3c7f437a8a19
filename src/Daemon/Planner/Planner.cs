using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
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
        // Every assignment is a route to each peer in the common case: sized once, the lists of 100,000
        // entries leave no doubling garbage behind (the re-announce reload's memory peak).
        var work = new Work(snapshot, node, assignments.Count);
        foreach (var assignment in assignments)
        {
            work.Add(assignment);
        }
        var peerPlans = ImmutableArray.CreateBuilder<PeerPlan>(work.Peers.Length);
        for (var i = 0; i < work.Peers.Length; i++)
        {
            peerPlans.Add(new PeerPlan(work.Peers[i], work.Routes[i].ToRouteSet()));
        }
        // No copy when every assignment got a notice into a builder sized for all of them (a withdraw of everything).
        return new Plan(peerPlans.MoveToImmutable(), work.Notices.DrainToImmutable());
    }

    /// <summary>
    /// <paramref name="previous"/> (built for <paramref name="snapshot"/>'s pools, peers, advertisements,
    /// nodes and endpoints, which have not changed since) after the Services of <paramref name="removed"/>
    /// gave their addresses back and those of <paramref name="added"/> took theirs: the work of the
    /// changes, not of every Service, and route sets made with <see cref="RouteSet.With"/>, so each
    /// session sends just the changed prefixes. A changed Service is in both lists, with its old and its
    /// new assignment. Null when the changes touch an aggregating advertisement, where a prefix stands
    /// for several VIPs, or a shared address, which an unchanged Service
    /// may hold too: the caller then calls <see cref="Build"/>.
    /// </summary>
    /// <param name="isShared">Whether an address is held under a sharing key (after the changes).</param>
    public static Plan? Update(Plan previous, ConfigSnapshot snapshot, NodeIdentity node,
        IReadOnlyCollection<Assignment> removed, IReadOnlyCollection<Assignment> added, Func<IpAddress, bool> isShared)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(isShared);
        var work = new Work(snapshot, node, added.Count);
        if (!work.Peers.Select(p => p.Name).SequenceEqual(previous.Peers.Select(p => p.Peer.Name), StringComparer.Ordinal)
            || removed.Concat(added).Any(a => work.CoversSeveral(a) || a.Addresses.Any(isShared)))
        {
            return null;
        }
        foreach (var assignment in added)
        {
            work.Add(assignment);
        }
        var peerPlans = ImmutableArray.CreateBuilder<PeerPlan>(work.Peers.Length);
        for (var i = 0; i < work.Peers.Length; i++)
        {
            var upserts = work.Routes[i].Count == 0 ? [] : work.Routes[i].ToRouteSet().ToList();
            var upserted = upserts.Select(r => r.Prefix).ToHashSet();
            // A prefix that an added assignment announces again is an upsert, not a removal.
            var removals = removed.SelectMany(a => work.PrefixesTo(a, i, a.Addresses))
                .Where(p => !upserted.Contains(p)).ToList();
            var routes = previous.Peers[i].Routes;
            peerPlans.Add(new PeerPlan(work.Peers[i], upserts.Count == 0 && removals.Count == 0 ? routes : routes.With(upserts, removals)));
        }
        var changed = removed.Concat(added).Select(a => a.Service).ToHashSet();
        var notices = previous.NotAnnounced.Where(n => !changed.Contains(n.Service)).Concat(work.Notices).ToImmutableArray();
        return new Plan(peerPlans.MoveToImmutable(), notices);
    }

    /// <summary>One planning pass: the policy of a snapshot for this node, and what the assignments given to <see cref="Add"/> make of it.</summary>
    private sealed class Work
    {
        private readonly ConfigSnapshot _snapshot;
        private readonly NodeIdentity _node;
        private readonly Dictionary<string, BgpAd[]> _bgp;
        private readonly Dictionary<string, L2AdvertisementConfig[]> _l2;
        // Per pool what its assignments get, found once: 100,000 Services are a handful of pools, and
        // consecutive assignments mostly share one (the allocator's pool name, the very string).
        private readonly Dictionary<string, PoolAds> _pools = new(StringComparer.Ordinal);
        private PoolAds? _lastPool;
        private readonly HashSet<ServiceKey> _local;
        private readonly HashSet<ServiceKey> _localReady;
        private readonly string _localReason;
        private readonly string? _excludedReason;

        public Work(ConfigSnapshot snapshot, NodeIdentity node, int expected)
        {
            _snapshot = snapshot;
            _node = node;
            Peers = snapshot.Peers.Where(p => node.IsSelectedBy(p.NodeSelectors)).ToArray();
            _bgp = SelectBgp(snapshot, node, Peers);
            _l2 = SelectL2(snapshot, node);
            _localReady = LocalReady(snapshot, node);
            // Only Local Services need looking up, and they are few: no dictionary of every Service.
            _local = snapshot.Services.Where(s => s.ExternalTrafficPolicy == ExternalTrafficPolicy.Local).Select(s => s.Key).ToHashSet();
            _localReason = $"externalTrafficPolicy is Local and node {node.Name} has no ready endpoint";
            _excludedReason = node.ExcludedFromLoadBalancers
                ? $"node {node.Name} is labelled {L2Fallback.Election.ElectionNode.ExcludeFromExternalLoadBalancers}"
                : node.NotReady;
            // Only a peer that some advertisement sends to gets lists sized for every assignment: a withdraw of
            // everything must not allocate them for nothing.
            var sentTo = new bool[Peers.Length];
            foreach (var ad in _bgp.Values.SelectMany(ads => ads))
            {
                foreach (var peer in ad.PeerIndexes)
                {
                    sentTo[peer] = true;
                }
            }
            Routes = new PeerRoutes[Peers.Length];
            for (var i = 0; i < Peers.Length; i++)
            {
                Routes[i] = new PeerRoutes(sentTo[i] ? expected : 0);
            }
            // With nothing advertised here (every BGP and L2 advertisement withdrawn, or the node excluded)
            // every assignment gets a notice: 100,000 of them grown by doubling were 7 MB of garbage in the
            // withdraw's path, and the collections it caused landed on the withdrawals' way out.
            var nothingHere = _excludedReason is not null || (_bgp.Count == 0 && _l2.Count == 0);
            Notices = ImmutableArray.CreateBuilder<ServiceNotice>(nothingHere ? expected : 0);
        }

        public BgpPeerConfig[] Peers { get; }

        public PeerRoutes[] Routes { get; }

        public ImmutableArray<ServiceNotice>.Builder Notices { get; }

        /// <summary>True when a prefix for this assignment's pool may stand for other VIPs too (an aggregate), so one VIP's change is not one route's.</summary>
        public bool CoversSeveral(Assignment assignment) =>
            _bgp.TryGetValue(assignment.Pool, out var ads)
                && ads.Any(ad => assignment.Addresses.Any(a => ad.PrefixOf(a).Length != (a.Family == IpFamily.IPv4 ? 32 : 128)));

        /// <summary>The prefixes of <paramref name="addresses"/> that the advertisements of <paramref name="assignment"/>'s pool send to peer <paramref name="peer"/>.</summary>
        public IEnumerable<IpPrefix> PrefixesTo(Assignment assignment, int peer, IEnumerable<IpAddress> addresses) =>
            (_bgp.GetValueOrDefault(assignment.Pool) ?? []).Where(ad => ad.PeerIndexes.Contains(peer))
                .SelectMany(ad => addresses.Select(ad.PrefixOf));

        public void Add(Assignment assignment)
        {
            var pool = _lastPool is { } last && ReferenceEquals(last.Name, assignment.Pool) ? last : PoolOf(assignment.Pool);
            _lastPool = pool;
            var (bgpAds, l2Ads) = (pool.Bgp, pool.L2);
            if (_excludedReason is { } excluded)
            {
                Notices.Add(new ServiceNotice(assignment.Service, excluded));
                return;
            }
            if (_local.Count > 0 && _local.Contains(assignment.Service) && !_localReady.Contains(assignment.Service))
            {
                Notices.Add(new ServiceNotice(assignment.Service, _localReason));
                return;
            }
            var announced = false;
            foreach (var ad in bgpAds)
            {
                foreach (var address in assignment.Addresses)
                {
                    var prefix = ad.PrefixOf(address);
                    foreach (var peer in ad.PeerIndexes)
                    {
                        Routes[peer].Add(prefix, ad);
                        announced = true;
                    }
                }
            }
            // L2: the daemon's L2 runtime elects and answers (L2Inputs); here it only means the VIP is served.
            announced |= l2Ads.Length > 0;
            if (!announced)
            {
                pool.Nowhere ??= WhyNowhere(_snapshot, _node, pool.Name, bgpAds.Length > 0);
                Notices.Add(new ServiceNotice(assignment.Service, pool.Nowhere));
            }
        }

        private PoolAds PoolOf(string name)
        {
            if (!_pools.TryGetValue(name, out var pool))
            {
                _pools[name] = pool = new PoolAds(name, _bgp.GetValueOrDefault(name) ?? [], _l2.GetValueOrDefault(name) ?? []);
            }
            return pool;
        }

        /// <summary>A pool's advertisements here, and why its Services are announced nowhere (once per pool, not per Service: withdrawing every advertisement leaves 100,000 of them).</summary>
        private sealed class PoolAds(string name, BgpAd[] bgp, L2AdvertisementConfig[] l2)
        {
            public string Name { get; } = name;

            public BgpAd[] Bgp { get; } = bgp;

            public L2AdvertisementConfig[] L2 { get; } = l2;

            public string? Nowhere { get; set; }
        }
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

        /// <summary>A route that carries this advertisement's attributes for a prefix of <paramref name="family"/> (its own prefix stands for the family only).</summary>
        public Route Attributes(Afi family) => family == Afi.IPv4
            ? _v4 ??= new Route(IpPrefix.V4(0, 0)) { LocalPref = Config.LocalPref, Communities = Communities, LargeCommunities = LargeCommunities }
            : _v6 ??= new Route(IpPrefix.V6(0, 0)) { LocalPref = Config.LocalPref, Communities = Communities, LargeCommunities = LargeCommunities };

        private Route? _v4;
        private Route? _v6;

        public IpPrefix PrefixOf(IpAddress address) => address.Family == IpFamily.IPv4
            ? IpPrefix.V4((uint)address.Value, Config.AggregationLength)
            : IpPrefix.V6(address.Value, Config.AggregationLengthV6);
    }

    /// <summary>
    /// One peer's routes: every (prefix, advertisement) as it comes, sorted by prefix at the end. Several
    /// VIPs in one aggregate make one route; several advertisements of one prefix to one peer merge:
    /// the union of their communities and the highest localPref (the most preferred of what the
    /// operator asked for), in the order they came. No object per route: a prefix announced by one
    /// advertisement points at that advertisement's attributes.
    /// </summary>
    private sealed class PeerRoutes(int capacity)
    {
        // Two arrays, not a list of pairs: when the prefixes come sorted, each once (one VIP, one route: the
        // usual case), the prefix array becomes the route set's own, and a build of 100,000 leaves 0.8 MB of
        // garbage instead of 10 MB in the large object heap (sorted copies, a list of routes, the set's copy).
        private IpPrefix[] _prefixes = capacity == 0 ? [] : GC.AllocateUninitializedArray<IpPrefix>(capacity);
        private BgpAd[] _ads = capacity == 0 ? [] : new BgpAd[capacity];

        public int Count { get; private set; }

        public void Add(IpPrefix prefix, BgpAd ad)
        {
            if (Count == _prefixes.Length)
            {
                var grown = Math.Max(4, Count * 2);
                Array.Resize(ref _prefixes, grown);
                Array.Resize(ref _ads, grown);
            }
            _prefixes[Count] = prefix;
            _ads[Count] = ad;
            Count++;
        }

        public RouteSet ToRouteSet()
        {
            if (Count == 0)
            {
                return RouteSet.Empty;
            }
            // Assignments come in Service order, which is mostly address order: then no sort is needed.
            bool ascending = true, sorted = true;
            for (var i = 1; i < Count && sorted; i++)
            {
                var order = _prefixes[i - 1].CompareTo(_prefixes[i]);
                ascending &= order < 0;
                sorted = order <= 0;
            }
            return ascending ? Adopted() : Merged(sorted ? null : InPrefixOrder());
        }

        /// <summary>Sorted, each prefix once: the prefixes as they are, each with its advertisement's attributes.</summary>
        private RouteSet Adopted()
        {
            var prefixes = Count == _prefixes.Length ? _prefixes : _prefixes[..Count];
            var attributes = ArrayPool<Route>.Shared.Rent(Count);
            try
            {
                for (var i = 0; i < Count; i++)
                {
                    attributes[i] = _ads[i].Attributes(prefixes[i].Family);
                }
                return RouteSet.Adopt(prefixes, attributes.AsSpan(0, Count));
            }
            finally
            {
                ArrayPool<Route>.Shared.Return(attributes, clearArray: true);
            }
        }

        /// <summary>
        /// A prefix more than once (an aggregate, several advertisements), or out of order: the entries taken in
        /// <paramref name="order"/> (null: as they are, already sorted), merged per prefix.
        /// </summary>
        private RouteSet Merged(int[]? order)
        {
            var prefixes = new List<IpPrefix>(Count);
            var attributes = new List<Route>(Count);
            for (var i = 0; i < Count;)
            {
                var at = order?[i] ?? i;
                var (prefix, first) = (_prefixes[at], _ads[at]);
                var route = first.Attributes(prefix.Family);
                var last = first;
                for (i++; i < Count && _prefixes[at = order?[i] ?? i] == prefix; i++)
                {
                    if (!ReferenceEquals(_ads[at], last))
                    {
                        last = _ads[at];
                        route = Merge(route, last);
                    }
                }
                prefixes.Add(prefix);
                attributes.Add(route);
            }
            return RouteSet.Create(CollectionsMarshal.AsSpan(prefixes), CollectionsMarshal.AsSpan(attributes));
        }

        /// <summary>The entries' indices sorted by prefix, those of one prefix in the order they came (a stable sort: the merge order decides the order of communities).</summary>
        private int[] InPrefixOrder()
        {
            var order = new int[Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
            var prefixes = _prefixes;
            Array.Sort(order, (x, y) =>
            {
                var c = prefixes[x].CompareTo(prefixes[y]);
                return c != 0 ? c : x.CompareTo(y);
            });
            return order;
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
    }
}
