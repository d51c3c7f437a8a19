using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// An immutable set of routes to announce, laid out for the route path: prefixes sorted (IPv4
/// before IPv6, then by address and length) in one array, and beside each the index of its
/// attribute group (routes of one family whose operator-given attributes are equal). No object
/// per route: 28 octets a route, shared by every session it is given to. Each session fits a group
/// to itself once (<see cref="ExportPolicy"/>), not each route, and its Adj-RIB-Out diffs two sets
/// by one merge walk.
/// <para>
/// Built once from a whole collection (<see cref="Create"/>, linear when the routes come sorted),
/// or from a previous set and its changes (<see cref="With"/>), which remembers them so a session
/// that holds the previous set sends just those changes without walking the whole set.
/// </para>
/// </summary>
public sealed class RouteSet
{
    private readonly IpPrefix[] _prefixes;
    private readonly int[] _groups;
    private readonly Route[] _templates;

    private readonly WeakReference<RouteSet>? _parent;

    private RouteSet(IpPrefix[] prefixes, int[] groups, Route[] templates, RouteSet? parent, IpPrefix[] changed)
    {
        _prefixes = prefixes;
        _groups = groups;
        _templates = templates;
        // Weak: a chain of sets made one from another must not keep every ancestor alive; the
        // session that holds the parent keeps it reachable for as long as the link is of use.
        _parent = parent is null ? null : new WeakReference<RouteSet>(parent);
        Changed = changed;
    }

    public static RouteSet Empty { get; } = new([], [], [], null, []);

    public int Count => _prefixes.Length;

    /// <summary>Sorted; never written (shared by every session's Adj-RIB-Out).</summary>
    internal IpPrefix[] Prefixes => _prefixes;

    /// <summary>Beside each prefix, its index into <see cref="Templates"/>.</summary>
    internal int[] Groups => _groups;

    /// <summary>One route of each attribute group: its family and attributes stand for the group's.</summary>
    internal ReadOnlySpan<Route> Templates => _templates;

    /// <summary>True when this set was made from <paramref name="previous"/> by <see cref="With"/> (group indices of <paramref name="previous"/> kept).</summary>
    internal bool IsChildOf(RouteSet previous) => _parent is not null && _parent.TryGetTarget(out var parent) && ReferenceEquals(parent, previous);

    /// <summary>After <see cref="With"/>: the prefixes added, removed or given other attributes since it, sorted.</summary>
    internal IpPrefix[] Changed { get; }

    /// <summary>The route for <paramref name="prefix"/>, or null.</summary>
    public Route? Find(IpPrefix prefix)
    {
        var at = Array.BinarySearch(_prefixes, prefix);
        return at < 0 ? null : _templates[_groups[at]] with { Prefix = prefix };
    }

    /// <summary>
    /// The set of <paramref name="routes"/>. Linear when they come sorted by prefix, else a sort.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix appears twice (which of the two to announce would be a guess).</exception>
    public static RouteSet Create(IEnumerable<Route> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var list = routes as IReadOnlyList<Route> ?? routes.ToList();
        if (list.Count == 0)
        {
            return Empty;
        }
        var prefixes = new IpPrefix[list.Count];
        var groups = new int[list.Count];
        var templates = new List<Route>();
        var byAttributes = new Dictionary<Route, int>(SameAttributes.Instance);
        var sorted = true;
        Route? last = null;
        var lastGroup = -1;
        for (var i = 0; i < prefixes.Length; i++)
        {
            var route = list[i] ?? throw new ArgumentException($"Route {i} is null.", nameof(routes));
            // Neighbours mostly share attributes: one comparison instead of a hash lookup.
            if (last is null || !SameAttributes.Instance.Equals(route, last))
            {
                if (!byAttributes.TryGetValue(route, out lastGroup))
                {
                    lastGroup = templates.Count;
                    byAttributes.Add(route, lastGroup);
                    templates.Add(route);
                }
                last = route;
            }
            prefixes[i] = route.Prefix;
            groups[i] = lastGroup;
            sorted &= i == 0 || prefixes[i - 1].CompareTo(route.Prefix) < 0;
        }
        if (!sorted)
        {
            Array.Sort(prefixes, groups);
        }
        for (var i = 1; i < prefixes.Length; i++)
        {
            if (prefixes[i - 1] == prefixes[i])
            {
                throw new ArgumentException($"Prefix {prefixes[i]} appears twice in the routes.", nameof(routes));
            }
        }
        return new RouteSet(prefixes, groups, [.. templates], null, []);
    }

    /// <summary>
    /// This set with <paramref name="upserts"/> added or replacing the routes of their prefixes, and
    /// <paramref name="removals"/> gone (a prefix not in the set is ignored). Costs a copy of the
    /// arrays plus the changes; a session holding this set then sends only the changes.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix is both upserted and removed, or upserted twice.</exception>
    public RouteSet With(IEnumerable<Route> upserts, IEnumerable<IpPrefix> removals)
    {
        ArgumentNullException.ThrowIfNull(upserts);
        ArgumentNullException.ThrowIfNull(removals);
        var added = upserts.OrderBy(r => r.Prefix).ToArray();
        var removed = removals.Order().Distinct().ToArray();
        for (var k = 1; k < added.Length; k++)
        {
            if (added[k - 1].Prefix == added[k].Prefix)
            {
                throw new ArgumentException($"Prefix {added[k].Prefix} is upserted twice.", nameof(upserts));
            }
        }
        var templates = new List<Route>(_templates);
        var byAttributes = new Dictionary<Route, int>(SameAttributes.Instance);
        for (var g = 0; g < _templates.Length; g++)
        {
            byAttributes.TryAdd(_templates[g], g);
        }
        var prefixes = new List<IpPrefix>(_prefixes.Length + added.Length);
        var groups = new List<int>(_prefixes.Length + added.Length);
        var changed = new List<IpPrefix>(added.Length + removed.Length);
        int i = 0, a = 0, r = 0;
        while (i < _prefixes.Length || a < added.Length)
        {
            // The next prefix in order among the set and the upserts.
            var next = a == added.Length || (i < _prefixes.Length && _prefixes[i].CompareTo(added[a].Prefix) <= 0) ? _prefixes[i] : added[a].Prefix;
            while (r < removed.Length && removed[r].CompareTo(next) < 0)
            {
                r++;
            }
            var isRemoved = r < removed.Length && removed[r] == next;
            var inSet = i < _prefixes.Length && _prefixes[i] == next;
            var upsert = a < added.Length && added[a].Prefix == next ? added[a] : null;
            if (upsert is not null && isRemoved)
            {
                throw new ArgumentException($"Prefix {next} is both upserted and removed.", nameof(removals));
            }
            if (upsert is not null)
            {
                if (!byAttributes.TryGetValue(upsert, out var group))
                {
                    group = templates.Count;
                    byAttributes.Add(upsert, group);
                    templates.Add(upsert);
                }
                if (!inSet || !SameAttributes.Instance.Equals(_templates[_groups[i]], upsert))
                {
                    changed.Add(next);
                }
                prefixes.Add(next);
                groups.Add(group);
                a++;
            }
            else if (isRemoved)
            {
                changed.Add(next);
            }
            else
            {
                prefixes.Add(next);
                groups.Add(_groups[i]);
            }
            if (inSet)
            {
                i++;
            }
        }
        return new RouteSet([.. prefixes], [.. groups], [.. templates], this, [.. changed]);
    }

    /// <summary>Equal when everything but the prefix is (family included: a group is of one family).</summary>
    private sealed class SameAttributes : IEqualityComparer<Route>
    {
        public static readonly SameAttributes Instance = new();

        public bool Equals(Route? x, Route? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null &&
                x.Prefix.Family == y.Prefix.Family && x.MultiExitDisc == y.MultiExitDisc && x.LocalPref == y.LocalPref &&
                x.Communities == y.Communities && x.LargeCommunities == y.LargeCommunities && x.ExtendedCommunities == y.ExtendedCommunities);

        public int GetHashCode(Route obj) =>
            HashCode.Combine(obj.Prefix.Family, obj.MultiExitDisc, obj.LocalPref, obj.Communities, obj.LargeCommunities, obj.ExtendedCommunities);
    }
}
