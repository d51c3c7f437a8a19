using BgpLb.BgpSpeaker.Wire;
using System.Runtime.CompilerServices;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// Routes as one session sees them: prefixes sorted (<see cref="IpPrefix.CompareTo"/>), beside each
/// an attribute group, and per group the attributes to send, or null where this peer gets none
/// (family not negotiated, no next hop). Usually the arrays are a <see cref="RouteSet"/>'s, shared,
/// and only <see cref="Attributes"/> is the session's own; tables that a partial write leaves
/// behind own theirs. Never written after construction.
/// </summary>
internal sealed class RibTable
{
    public RibTable(IpPrefix[] prefixes, int[] groups, PathAttributes?[] attributes, RouteSet? source = null)
    {
        Prefixes = prefixes;
        Groups = groups;
        Attributes = attributes;
        Source = source;
    }

    public static RibTable Empty { get; } = new([], [], []);

    public IpPrefix[] Prefixes { get; }

    public int[] Groups { get; }

    public PathAttributes?[] Attributes { get; }

    /// <summary>The route set the arrays belong to, if any (for <see cref="RouteSet.IsChildOf"/>).</summary>
    public RouteSet? Source { get; }

    public int Count => Prefixes.Length;

    /// <summary>The attributes sent for entry <paramref name="i"/>, or null.</summary>
    public PathAttributes? At(int i) => Attributes[Groups[i]];

    /// <summary>Entries sent to the peer (those with attributes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Exported()
    {
        var exported = 0;
        var groups = Groups;
        var attributes = Attributes;
        for (var i = 0; i < groups.Length; i++)
        {
            if (attributes[groups[i]] is not null)
            {
                exported++;
            }
        }
        return exported;
    }

    /// <summary>Entry index of <paramref name="prefix"/>, or the complement of where it would go.</summary>
    public int Find(IpPrefix prefix) => Array.BinarySearch(Prefixes, prefix);

    /// <summary>
    /// A table from any routes: sorted here, grouped by attribute instance (the UPDATE packer
    /// merges instances equal by value).
    /// </summary>
    public static RibTable From(IEnumerable<KeyValuePair<Nlri, PathAttributes>> routes)
    {
        var entries = routes.Select(r => (r.Key.Prefix, Attributes: r.Value ?? throw new ArgumentException($"Route {r.Key} has no attributes.", nameof(routes))))
            .OrderBy(r => r.Prefix).ToArray();
        var prefixes = new IpPrefix[entries.Length];
        var groups = new int[entries.Length];
        var attributes = new List<PathAttributes?>();
        var byInstance = new Dictionary<PathAttributes, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < entries.Length; i++)
        {
            if (i > 0 && entries[i - 1].Prefix == entries[i].Prefix)
            {
                throw new ArgumentException($"Prefix {entries[i].Prefix} appears twice in the routes.", nameof(routes));
            }
            if (!byInstance.TryGetValue(entries[i].Attributes, out var group))
            {
                group = attributes.Count;
                byInstance.Add(entries[i].Attributes, group);
                attributes.Add(entries[i].Attributes);
            }
            prefixes[i] = entries[i].Prefix;
            groups[i] = group;
        }
        return new RibTable(prefixes, groups, [.. attributes]);
    }

    /// <summary>
    /// This table with <paramref name="changes"/> (sorted, each prefix once) applied: an entry with
    /// attributes replaces or adds, one without removes. One merge walk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public RibTable Apply(ReadOnlySpan<(IpPrefix Prefix, PathAttributes? Attributes)> changes)
    {
        var prefixes = new List<IpPrefix>(Count + changes.Length);
        var groups = new List<int>(Count + changes.Length);
        var attributes = new List<PathAttributes?>(Attributes);
        var byInstance = new Dictionary<PathAttributes, int>(ReferenceEqualityComparer.Instance);
        int i = 0, c = 0;
        while (i < Count || c < changes.Length)
        {
            var order = i == Count ? 1 : c == changes.Length ? -1 : Prefixes[i].CompareTo(changes[c].Prefix);
            if (order < 0)
            {
                prefixes.Add(Prefixes[i]);
                groups.Add(Groups[i]);
                i++;
                continue;
            }
            if (changes[c].Attributes is { } set)
            {
                if (!byInstance.TryGetValue(set, out var group))
                {
                    group = attributes.Count;
                    byInstance.Add(set, group);
                    attributes.Add(set);
                }
                prefixes.Add(changes[c].Prefix);
                groups.Add(group);
            }
            c++;
            if (order == 0)
            {
                i++;
            }
        }
        return new RibTable([.. prefixes], [.. groups], [.. attributes]);
    }
}
