using System.Buffers;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// One peer's Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to hold against the routes
/// it holds. Changes only mark prefixes dirty; <see cref="WriteChanges"/> turns whatever is dirty
/// at that moment into the fewest UPDATEs. So a burst of changes between two writes coalesces by
/// itself, with no timer (an FRR-style 1 s advertisement delay is exactly what we avoid).
/// </summary>
public sealed class AdjRibOut
{
    private readonly Dictionary<Nlri, PathAttributes> _desired = [];
    private readonly Dictionary<Nlri, PathAttributes> _advertised = [];
    private readonly HashSet<Nlri> _dirty = [];

    /// <summary>Routes we want the peer to hold.</summary>
    public int DesiredCount => _desired.Count;

    /// <summary>Routes the peer holds (what we sent and did not withdraw).</summary>
    public int AdvertisedCount => _advertised.Count;

    public bool HasChanges => _dirty.Count > 0;

    public bool TryGetAdvertised(Nlri nlri, out PathAttributes? attributes) => _advertised.TryGetValue(nlri, out attributes);

    public void Announce(Nlri nlri, PathAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        _desired[nlri] = attributes;
        MarkIfChanged(nlri);
    }

    public void Withdraw(Nlri nlri)
    {
        if (_desired.Remove(nlri))
        {
            MarkIfChanged(nlri);
        }
    }

    /// <summary>Replaces the whole desired set (a new plan); only the differences become UPDATEs.</summary>
    public void SetDesired(IEnumerable<KeyValuePair<Nlri, PathAttributes>> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var next = new Dictionary<Nlri, PathAttributes>(routes);
        foreach (var nlri in _desired.Keys)
        {
            if (!next.ContainsKey(nlri))
            {
                _dirty.Add(nlri);
            }
        }
        _desired.Clear();
        foreach (var (nlri, attributes) in next)
        {
            _desired[nlri] = attributes;
            MarkIfChanged(nlri);
        }
        _dirty.RemoveWhere(n => !_desired.ContainsKey(n) && !_advertised.ContainsKey(n));
    }

    /// <summary>
    /// The session went down: the peer holds nothing from us any more (RFC 4271 §8: routes of a
    /// closed session are gone), so everything desired is to be sent again on the next session.
    /// </summary>
    public void SessionReset()
    {
        _advertised.Clear();
        _dirty.Clear();
        foreach (var nlri in _desired.Keys)
        {
            _dirty.Add(nlri);
        }
    }

    /// <summary>
    /// Writes UPDATEs for pending changes — withdrawals first, then announcements grouped by
    /// attributes — and records them as advertised, until about <paramref name="maxBytes"/> are
    /// written (the peer's output budget): what does not fit stays pending for the next write, so
    /// a peer that reads slowly gets no more UPDATEs built than it can take. Returns the number of
    /// messages written.
    /// </summary>
    public int WriteChanges(IBufferWriter<byte> output, UpdateBuilder builder, long maxBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (_dirty.Count == 0)
        {
            return 0;
        }
        var withdrawals = new List<Nlri>();
        var announcements = new List<KeyValuePair<Nlri, PathAttributes>>();
        foreach (var nlri in _dirty)
        {
            if (_desired.TryGetValue(nlri, out var attributes))
            {
                announcements.Add(KeyValuePair.Create(nlri, attributes));
            }
            else
            {
                withdrawals.Add(nlri);
            }
        }
        Sort(withdrawals, announcements);
        var counter = new CountingWriter(output);
        var messages = 0;
        int w = 0, a = 0;
        while ((w < withdrawals.Count || a < announcements.Count) && counter.Written < maxBytes)
        {
            // As many changes as can fit in the room left, at the largest size one can take; all of
            // them when the budget allows (then the UPDATEs are as few as without a budget).
            var fit = (maxBytes - counter.Written) / MaxBytesPerChange;
            var take = (int)Math.Clamp(fit, MinChunk, int.MaxValue);
            var takeWithdrawals = Math.Min(take, withdrawals.Count - w);
            var takeAnnouncements = Math.Min(take - takeWithdrawals, announcements.Count - a);
            var withdrawn = withdrawals.GetRange(w, takeWithdrawals);
            var announced = announcements.GetRange(a, takeAnnouncements);
            foreach (var nlri in withdrawn)
            {
                _advertised.Remove(nlri);
                _dirty.Remove(nlri);
            }
            foreach (var (nlri, attributes) in announced)
            {
                _advertised[nlri] = attributes;
                _dirty.Remove(nlri);
            }
            messages += builder.Write(counter, withdrawn, announced);
            w += takeWithdrawals;
            a += takeAnnouncements;
        }
        return messages;
    }

    /// <summary>An IPv6 /128 NLRI (17 octets) plus ADD-PATH's path identifier and a share of headers and attributes.</summary>
    private const int MaxBytesPerChange = 32;

    /// <summary>Under a nearly spent budget, still this many changes at a time (the budget is a bound, not exact).</summary>
    private const int MinChunk = 256;

    /// <summary>
    /// Everything the peer should hold, again (a ROUTE-REFRESH, RFC 2918 §4), for one family.
    /// Pending changes of that family are folded in.
    /// </summary>
    public int WriteFull(IBufferWriter<byte> output, UpdateBuilder builder, Afi family)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var withdrawals = new List<Nlri>();
        foreach (var nlri in _dirty)
        {
            if (nlri.Prefix.Family == family && !_desired.ContainsKey(nlri))
            {
                withdrawals.Add(nlri);
                _advertised.Remove(nlri);
            }
        }
        _dirty.RemoveWhere(n => n.Prefix.Family == family);
        var announcements = new List<KeyValuePair<Nlri, PathAttributes>>();
        foreach (var (nlri, attributes) in _desired)
        {
            if (nlri.Prefix.Family == family)
            {
                announcements.Add(KeyValuePair.Create(nlri, attributes));
                _advertised[nlri] = attributes;
            }
        }
        return Send(output, builder, withdrawals, announcements);
    }

    /// <summary>Sorted first, so that the wire order does not depend on hash order (stable captures and tests).</summary>
    private static int Send(IBufferWriter<byte> output, UpdateBuilder builder, List<Nlri> withdrawals, List<KeyValuePair<Nlri, PathAttributes>> announcements)
    {
        Sort(withdrawals, announcements);
        return builder.Write(output, withdrawals, announcements);
    }

    private static void Sort(List<Nlri> withdrawals, List<KeyValuePair<Nlri, PathAttributes>> announcements)
    {
        withdrawals.Sort((a, b) => a.Prefix.CompareTo(b.Prefix));
        announcements.Sort((a, b) => a.Key.Prefix.CompareTo(b.Key.Prefix));
    }

    private void MarkIfChanged(Nlri nlri)
    {
        var wanted = _desired.TryGetValue(nlri, out var desired);
        var held = _advertised.TryGetValue(nlri, out var advertised);
        if (wanted == held && (!wanted || Equals(desired, advertised)))
        {
            _dirty.Remove(nlri); // back to what the peer already holds: nothing to send
        }
        else
        {
            _dirty.Add(nlri);
        }
    }
}
