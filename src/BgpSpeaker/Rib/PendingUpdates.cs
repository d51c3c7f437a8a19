using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// The UPDATEs that take a peer from one <see cref="RibTable"/> to another, as runs of prefixes
/// ready for the packer: withdrawals first (IPv4, then IPv6), then one run per attribute set, each
/// sorted, so every UPDATE is as full as the message size allows (RFC 4271 §4.3: one set of
/// attributes, many NLRI). Written in budgeted slices; what is written so far can be read back
/// (<see cref="WrittenChanges"/>) when the plan is replaced before it is done.
/// </summary>
internal sealed class PendingUpdates
{
    private readonly List<Run> _runs;
    private int _run;
    private int _offset;

    private PendingUpdates(List<Run> runs)
    {
        _runs = runs;
    }

    /// <summary>A run: prefixes to withdraw (<see cref="Attributes"/> null) or to announce with one attribute set.</summary>
    private readonly record struct Run(ReadOnlyMemory<IpPrefix> Prefixes, PathAttributes? Attributes, AfiSafi Family);

    public bool Done => _run == _runs.Count;

    public bool Started => _run > 0 || _offset > 0;

    /// <summary>Prefixes this plan changes at the peer.</summary>
    public int Changes
    {
        get
        {
            var changes = 0;
            foreach (var run in _runs)
            {
                changes += run.Prefixes.Length;
            }
            return changes;
        }
    }

    /// <summary>
    /// What makes a peer holding <paramref name="held"/> hold <paramref name="target"/>. With
    /// <paramref name="full"/>, only that family, and every route of it announced whether the
    /// peer holds it already or not (ROUTE-REFRESH, RFC 2918 §4). One merge walk that notes entry
    /// indices (pooled); the prefixes are then gathered run by run, or, where a run is a whole
    /// table (initial dump, withdraw all), the table's own array is the run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the initial dump runs it once, cold: no tier-0 pass over 100k entries
    public static PendingUpdates Diff(RibTable held, RibTable target, Afi? full = null)
    {
        if (full is null && (held.Count == 0 || target.Count == 0) && WholeTable(held.Count == 0 ? target : held) is { } whole)
        {
            // Session up with nothing held, or everything withdrawn: when every group of the table
            // goes out (or went out) with one attribute set, the table's own array is the run and
            // there is nothing to walk.
            var runs = new List<Run>(2);
            if (held.Count == 0)
            {
                runs.Add(new Run(target.Prefixes, whole, Family(whole)));
            }
            else
            {
                AddWithdrawals(runs, held.Prefixes);
            }
            return new PendingUpdates(runs);
        }
        var withdrawn = ArrayPool<int>.Shared.Rent(Math.Max(1, held.Count));
        var announced = ArrayPool<int>.Shared.Rent(Math.Max(1, target.Count));
        try
        {
            var runs = new RunIndex(target);
            int withdrawals = 0, announcements = 0;
            var heldPrefixes = held.Prefixes;
            var targetPrefixes = target.Prefixes;
            var skipEqual = full is null && SameGroupAttributes(held, target);
            int h = 0, t = 0;
            while (h < heldPrefixes.Length || t < targetPrefixes.Length)
            {
                // Most of a new plan is what the peer holds: where a block of entries is the same in
                // both (after the walk has realigned past an insertion or a removal), skip it with
                // two vectorized compares. Compared as bytes, so unequal padding only means no skip.
                while (skipEqual && h + SkipBlock <= heldPrefixes.Length && t + SkipBlock <= targetPrefixes.Length &&
                    MemoryMarshal.AsBytes(heldPrefixes.AsSpan(h, SkipBlock)).SequenceEqual(MemoryMarshal.AsBytes(targetPrefixes.AsSpan(t, SkipBlock))) &&
                    held.Groups.AsSpan(h, SkipBlock).SequenceEqual(target.Groups.AsSpan(t, SkipBlock)))
                {
                    h += SkipBlock;
                    t += SkipBlock;
                }
                if (h == heldPrefixes.Length && t == targetPrefixes.Length)
                {
                    break;
                }
                var order = h == heldPrefixes.Length ? 1 : t == targetPrefixes.Length ? -1 : heldPrefixes[h].CompareTo(targetPrefixes[t]);
                var prefix = order <= 0 ? heldPrefixes[h] : targetPrefixes[t];
                var had = order <= 0 ? held.At(h) : null;
                var group = order >= 0 ? target.Groups[t] : -1;
                var wanted = group >= 0 ? target.Attributes[group] : null;
                if (full is not { } family || prefix.Family == family)
                {
                    if (wanted is null)
                    {
                        if (had is not null)
                        {
                            withdrawn[withdrawals++] = h;
                        }
                    }
                    else if (full is not null || had is null || !(ReferenceEquals(had, wanted) || had.Equals(wanted)))
                    {
                        runs.Add(group, wanted);
                        announced[announcements++] = t;
                    }
                }
                if (order <= 0)
                {
                    h++;
                }
                if (order >= 0)
                {
                    t++;
                }
            }
            var plan = new List<Run>(runs.Count + 2);
            AddWithdrawals(plan, withdrawals == held.Count ? held.Prefixes : Gather(held.Prefixes, withdrawn.AsSpan(0, withdrawals)));
            AddAnnouncements(plan, target, announced.AsSpan(0, announcements), runs);
            return new PendingUpdates(plan);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(withdrawn);
            ArrayPool<int>.Shared.Return(announced);
        }
    }

    /// <summary>
    /// The one attribute set every entry of <paramref name="table"/> is sent with, when all its
    /// groups are sent and equal (one group, or groups that fit to the same attributes); else null.
    /// </summary>
    private static PathAttributes? WholeTable(RibTable table)
    {
        PathAttributes? whole = null;
        foreach (var attributes in table.Attributes)
        {
            if (attributes is null || (whole is not null && !ReferenceEquals(whole, attributes) && !whole.Equals(attributes)))
            {
                return null;
            }
            whole = attributes;
        }
        return whole;
    }

    /// <summary>Entries compared at once where both tables agree.</summary>
    private const int SkipBlock = 32;

    /// <summary>True when a group index means the same attributes in both tables (for every group of <paramref name="held"/>).</summary>
    private static bool SameGroupAttributes(RibTable held, RibTable target)
    {
        if (held.Attributes.Length > target.Attributes.Length)
        {
            return false;
        }
        for (var g = 0; g < held.Attributes.Length; g++)
        {
            if (!Equals(held.Attributes[g], target.Attributes[g]))
            {
                return false;
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static IpPrefix[] Gather(IpPrefix[] prefixes, ReadOnlySpan<int> indices)
    {
        var gathered = new IpPrefix[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            gathered[i] = prefixes[indices[i]];
        }
        return gathered;
    }

    /// <summary>Sorted withdrawals as one run per family (IPv4 sorts first).</summary>
    private static void AddWithdrawals(List<Run> runs, IpPrefix[] withdrawn)
    {
        var firstV6 = 0;
        while (firstV6 < withdrawn.Length && withdrawn[firstV6].Family == Afi.IPv4)
        {
            firstV6++;
        }
        if (firstV6 > 0)
        {
            runs.Add(new Run(withdrawn.AsMemory(0, firstV6), null, AfiSafi.IPv4Unicast));
        }
        if (firstV6 < withdrawn.Length)
        {
            runs.Add(new Run(withdrawn.AsMemory(firstV6), null, AfiSafi.IPv6Unicast));
        }
    }

    /// <summary>Announced entries scattered into one array by run (stable, so each run stays sorted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddAnnouncements(List<Run> runs, RibTable target, ReadOnlySpan<int> announced, RunIndex index)
    {
        var runOfGroup = index.RunOfGroup;
        var runAttributes = index.Attributes;
        var starts = new int[runAttributes.Count + 1];
        foreach (var t in announced)
        {
            starts[runOfGroup[target.Groups[t]] + 1]++;
        }
        for (var r = 1; r < starts.Length; r++)
        {
            starts[r] += starts[r - 1];
        }
        var scattered = new IpPrefix[announced.Length];
        var next = starts[..^1];
        foreach (var t in announced)
        {
            scattered[next[runOfGroup[target.Groups[t]]]++] = target.Prefixes[t];
        }
        for (var r = 0; r < runAttributes.Count; r++)
        {
            runs.Add(new Run(scattered.AsMemory(starts[r], starts[r + 1] - starts[r]), runAttributes[r], Family(runAttributes[r])));
        }
    }

    /// <summary>
    /// The changes that <paramref name="changed"/> (sorted prefixes, each once) make between two
    /// tables: a binary search in each instead of a walk over both.
    /// </summary>
    public static PendingUpdates DiffAt(RibTable held, RibTable target, ReadOnlySpan<IpPrefix> changed)
    {
        var withdrawn = new List<IpPrefix>();
        var announced = new List<int>();
        var runs = new RunIndex(target);
        foreach (var prefix in changed)
        {
            var h = held.Find(prefix);
            var t = target.Find(prefix);
            var had = h >= 0 ? held.At(h) : null;
            var wanted = t >= 0 ? target.At(t) : null;
            if (wanted is null)
            {
                if (had is not null)
                {
                    withdrawn.Add(prefix);
                }
            }
            else if (had is null || !(ReferenceEquals(had, wanted) || had.Equals(wanted)))
            {
                runs.Add(target.Groups[t], wanted);
                announced.Add(t);
            }
        }
        var plan = new List<Run>(runs.Count + 2);
        AddWithdrawals(plan, [.. withdrawn]);
        AddAnnouncements(plan, target, CollectionsMarshal.AsSpan(announced), runs);
        return new PendingUpdates(plan);
    }

    /// <summary>
    /// Writes runs from where the last write stopped while fewer than <paramref name="maxBytes"/>
    /// are written (whole UPDATEs only; at least one). Returns the number of messages.
    /// </summary>
    public int Write(IBufferWriter<byte> output, UpdateBuilder builder, long maxBytes)
    {
        var counter = new CountingWriter(output);
        var messages = 0;
        while (!Done && counter.Written < maxBytes)
        {
            var run = _runs[_run];
            var prefixes = run.Prefixes.Span[_offset..];
            var room = maxBytes - counter.Written;
            int consumed;
            messages += run.Attributes is { } attributes
                ? builder.WriteAnnouncements(counter, attributes, prefixes, room, out consumed)
                : builder.WriteWithdrawals(counter, run.Family, prefixes, room, out consumed);
            _offset += consumed;
            if (_offset == run.Prefixes.Length)
            {
                _run++;
                _offset = 0;
            }
        }
        return messages;
    }

    /// <summary>Everything written so far, sorted by prefix: attributes for an announcement, null for a withdrawal.</summary>
    public (IpPrefix Prefix, PathAttributes? Attributes)[] WrittenChanges()
    {
        var written = new List<(IpPrefix, PathAttributes?)>();
        for (var r = 0; r <= _run && r < _runs.Count; r++)
        {
            var run = _runs[r];
            var end = r < _run ? run.Prefixes.Length : _offset;
            foreach (var prefix in run.Prefixes.Span[..end])
            {
                written.Add((prefix, run.Attributes));
            }
        }
        var changes = written.ToArray();
        Array.Sort(changes, (a, b) => a.Item1.CompareTo(b.Item1));
        return changes;
    }

    /// <summary>Which run each attribute group of the target announces in: groups whose attributes come out equal (e.g. LOCAL_PREF dropped on eBGP) share one.</summary>
    private sealed class RunIndex
    {
        private readonly Dictionary<PathAttributes, int> _byValue = [];

        public RunIndex(RibTable target)
        {
            RunOfGroup = new int[target.Attributes.Length];
            Array.Fill(RunOfGroup, -1);
        }

        public int[] RunOfGroup { get; }

        public List<PathAttributes> Attributes { get; } = [];

        public int Count => Attributes.Count;

        public void Add(int group, PathAttributes attributes)
        {
            if (RunOfGroup[group] >= 0)
            {
                return;
            }
            if (!_byValue.TryGetValue(attributes, out var run))
            {
                run = Attributes.Count;
                _byValue.Add(attributes, run);
                Attributes.Add(attributes);
            }
            RunOfGroup[group] = run;
        }
    }

    private static AfiSafi Family(PathAttributes attributes) => attributes.MpReach?.Family ?? AfiSafi.IPv4Unicast;
}
