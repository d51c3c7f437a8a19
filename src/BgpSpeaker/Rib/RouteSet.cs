using System.Runtime.InteropServices;
using BgpLb.BgpSpeaker.Wire;
using System.Runtime.CompilerServices;

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
public sealed class RouteSet : IReadOnlyCollection<Route>
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

    /// <summary>Whether a route of <paramref name="family"/> is in the set (IPv4 sorts before IPv6: one look at an end).</summary>
    public bool Carries(Afi family) =>
        _prefixes.Length > 0 && (family == Afi.IPv4 ? _prefixes[0].Family == Afi.IPv4 : _prefixes[^1].Family == Afi.IPv6);

    /// <summary>Every route in prefix order, each made on the way (the set keeps no object per route).</summary>
    public IEnumerator<Route> GetEnumerator()
    {
        for (var i = 0; i < _prefixes.Length; i++)
        {
            yield return _templates[_groups[i]] with { Prefix = _prefixes[i] };
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

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
        return routes switch
        {
            List<Route> list => Create(CollectionsMarshal.AsSpan(list)),
            Route[] array => Create(array.AsSpan()),
            _ => Create(routes.ToArray().AsSpan()),
        };
    }

    private static RouteSet Create(ReadOnlySpan<Route> routes)
    {
        if (routes.IsEmpty)
        {
            return Empty;
        }
        // Every element is written: no zeroing of 2.4 MB per 100,000 routes.
        var prefixes = GC.AllocateUninitializedArray<IpPrefix>(routes.Length);
        for (var i = 0; i < routes.Length; i++)
        {
            prefixes[i] = (routes[i] ?? throw new ArgumentException($"Route {i} is null.", nameof(routes))).Prefix;
        }
        return Create(prefixes, routes);
    }

    /// <summary>
    /// The set of <paramref name="prefixes"/>, each with the attributes of the route beside it in
    /// <paramref name="attributes"/> (whose own prefix is not read; its family must be the prefix's).
    /// For a caller that has many prefixes with one set of attributes: one <see cref="Route"/> for all
    /// of them, not one per prefix. Linear when the prefixes come sorted, else a sort.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, a prefix appears twice, or an attribute route is of another family.</exception>
    public static RouteSet Create(ReadOnlySpan<IpPrefix> prefixes, ReadOnlySpan<Route> attributes)
    {
        CheckAttributes(prefixes, attributes);
        return prefixes.IsEmpty ? Empty : Create(prefixes.ToArray(), attributes);
    }

    /// <summary>
    /// As <see cref="Create(ReadOnlySpan{IpPrefix}, ReadOnlySpan{Route})"/>, but the set takes
    /// <paramref name="prefixes"/> over instead of copying it: the caller must not use the array again (the
    /// set sorts it in place and every session shares it). For a caller that built the prefixes for this
    /// set alone: at 100,000 routes the copy is 2.4 MB more in the large object heap, garbage at once.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, a prefix appears twice, or an attribute route is of another family.</exception>
    public static RouteSet Adopt(IpPrefix[] prefixes, ReadOnlySpan<Route> attributes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        CheckAttributes(prefixes, attributes);
        return prefixes.Length == 0 ? Empty : Create(prefixes, attributes);
    }

    private static void CheckAttributes(ReadOnlySpan<IpPrefix> prefixes, ReadOnlySpan<Route> attributes)
    {
        if (prefixes.Length != attributes.Length)
        {
            throw new ArgumentException($"{prefixes.Length} prefixes but {attributes.Length} attribute routes.", nameof(attributes));
        }
        for (var i = 0; i < attributes.Length; i++)
        {
            if ((attributes[i] ?? throw new ArgumentException($"Route {i} is null.", nameof(attributes))).Prefix.Family != prefixes[i].Family)
            {
                throw new ArgumentException($"The attributes of {prefixes[i]} are of the other family.", nameof(attributes));
            }
        }
    }

    /// <param name="prefixes">Owned by the new set (sorted in place).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static RouteSet Create(IpPrefix[] prefixes, ReadOnlySpan<Route> routes)
    {
        var groups = GC.AllocateUninitializedArray<int>(routes.Length);
        var templates = new List<Route>();
        var byAttributes = new Dictionary<Route, int>(SameAttributes.Instance);
        var sorted = true;
        var allV4 = true;
        Route? last = null;
        var lastGroup = -1;
        for (var i = 0; i < routes.Length; i++)
        {
            var route = routes[i];
            // Neighbours mostly share attributes: one comparison instead of a hash lookup.
            if (!ReferenceEquals(route, last) && (last is null || !SameAttributes.Instance.Equals(route, last)))
            {
                if (!byAttributes.TryGetValue(route, out lastGroup))
                {
                    lastGroup = templates.Count;
                    byAttributes.Add(route, lastGroup);
                    templates.Add(route);
                }
                last = route;
            }
            var prefix = prefixes[i];
            groups[i] = lastGroup;
            allV4 &= prefix.Family == Afi.IPv4;
            sorted &= i == 0 || prefixes[i - 1].CompareTo(prefix) < 0;
        }
        if (!sorted)
        {
            Sort(prefixes, groups, allV4);
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
    /// IPv4 alone sorts as 64-bit keys (address, then length: the order of <see cref="IpPrefix.CompareTo"/>),
    /// which the runtime sorts far faster than structs through a comparer; anything else takes the comparer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sort(IpPrefix[] prefixes, int[] groups, bool allV4)
    {
        if (!allV4)
        {
            Array.Sort(prefixes, groups);
            return;
        }
        var keys = new ulong[prefixes.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = ((ulong)prefixes[i].V4Address << 8) | prefixes[i].Length;
        }
        Array.Sort(keys, groups);
        for (var i = 0; i < keys.Length; i++)
        {
            prefixes[i] = IpPrefix.V4((uint)(keys[i] >> 8), (byte)keys[i]);
        }
    }

    /// <summary>
    /// This set with <paramref name="upserts"/> added or replacing the routes of their prefixes, and
    /// <paramref name="removals"/> gone (a prefix not in the set is ignored). Costs a copy of the
    /// arrays plus the changes; a session holding this set then sends only the changes.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix is both upserted and removed, or upserted twice.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public RouteSet With(IEnumerable<Route> upserts, IEnumerable<IpPrefix> removals)
    {
        ArgumentNullException.ThrowIfNull(upserts);
        ArgumentNullException.ThrowIfNull(removals);
        var added = upserts.OrderBy(r => r.Prefix).ToArray();
        var removed = removals.Order().Distinct().ToArray();
        var templates = new List<Route>(_templates);
        var byAttributes = new Dictionary<Route, int>(SameAttributes.Instance);
        for (var g = 0; g < _templates.Length; g++)
        {
            byAttributes.TryAdd(_templates[g], g);
        }
        // The edits in prefix order, each with where it lands in this set's arrays.
        var edits = new List<(IpPrefix Prefix, int At, bool Present, int Group)>(added.Length + removed.Length);
        int a = 0, r = 0;
        while (a < added.Length || r < removed.Length)
        {
            var order = a == added.Length ? 1 : r == removed.Length ? -1 : added[a].Prefix.CompareTo(removed[r]);
            if (order == 0)
            {
                throw new ArgumentException($"Prefix {removed[r]} is both upserted and removed.", nameof(removals));
            }
            var prefix = order < 0 ? added[a].Prefix : removed[r];
            if (order < 0 && a > 0 && added[a - 1].Prefix == prefix)
            {
                throw new ArgumentException($"Prefix {prefix} is upserted twice.", nameof(upserts));
            }
            var at = Array.BinarySearch(_prefixes, prefix);
            var group = -1;
            if (order < 0)
            {
                var route = added[a++];
                if (!byAttributes.TryGetValue(route, out group))
                {
                    group = templates.Count;
                    byAttributes.Add(route, group);
                    templates.Add(route);
                }
                if (at >= 0 && _groups[at] == group)
                {
                    continue; // already so
                }
            }
            else
            {
                r++;
                if (at < 0)
                {
                    continue; // not in the set
                }
            }
            edits.Add((prefix, at >= 0 ? at : ~at, at >= 0, group));
        }
        var count = _prefixes.Length;
        foreach (var edit in edits)
        {
            count += edit.Present ? (edit.Group < 0 ? -1 : 0) : 1;
        }
        var prefixes = GC.AllocateUninitializedArray<IpPrefix>(count);
        var groups = GC.AllocateUninitializedArray<int>(count);
        int from = 0, to = 0;
        var changed = new IpPrefix[edits.Count];
        for (var e = 0; e < edits.Count; e++)
        {
            var edit = edits[e];
            changed[e] = edit.Prefix;
            // Unchanged entries up to the edit are copied as a block.
            var block = edit.At - from;
            Array.Copy(_prefixes, from, prefixes, to, block);
            Array.Copy(_groups, from, groups, to, block);
            from += block;
            to += block;
            if (edit.Group >= 0)
            {
                prefixes[to] = edit.Prefix;
                groups[to++] = edit.Group;
            }
            if (edit.Present)
            {
                from++;
            }
        }
        Array.Copy(_prefixes, from, prefixes, to, _prefixes.Length - from);
        Array.Copy(_groups, from, groups, to, _groups.Length - from);
        return new RouteSet(prefixes, groups, [.. templates], this, changed);
    }

    /// <summary>Equal when everything but the prefix is (family included: a group is of one family).</summary>
    private sealed class SameAttributes : IEqualityComparer<Route>
    {
        public static readonly SameAttributes Instance = new();

        public bool Equals(Route? x, Route? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null &&
                x.MultiExitDisc == y.MultiExitDisc && x.LocalPref == y.LocalPref && x.Prefix.Family == y.Prefix.Family &&
                x.Communities.FastEquals(y.Communities) && x.LargeCommunities.FastEquals(y.LargeCommunities) && x.ExtendedCommunities.FastEquals(y.ExtendedCommunities));

        public int GetHashCode(Route obj) =>
            HashCode.Combine(obj.Prefix.Family, obj.MultiExitDisc, obj.LocalPref, obj.Communities, obj.LargeCommunities, obj.ExtendedCommunities);
    }
}
