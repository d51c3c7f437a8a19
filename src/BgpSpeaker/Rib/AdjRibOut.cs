using System.Buffers;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// One peer's Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to hold against the routes
/// it holds, both as sorted tables (<see cref="RibTable"/>, usually a shared <see cref="RouteSet"/>
/// and this session's attributes per group: no object per route). A new desired table is diffed
/// against what the peer holds by one merge walk, or, when it was made from the held set by
/// <see cref="RouteSet.With"/>, at just the prefixes it changed. The difference waits as runs of
/// prefixes (<see cref="PendingUpdates"/>) that <see cref="WriteChanges"/> packs into full UPDATEs
/// under the peer's output budget. A new plan arriving mid-write starts from what the peer really
/// holds by then, so changes coalesce with no timer (an FRR-style 1 s advertisement delay is
/// exactly what we avoid).
/// </summary>
public sealed class AdjRibOut
{
    private RibTable _held = RibTable.Empty;
    private RibTable _desired = RibTable.Empty;
    private PendingUpdates? _pending;

    public bool HasChanges => _pending is { Done: false };

    /// <summary>Routes the peer holds (what we sent and did not withdraw).</summary>
    public int AdvertisedCount => PeerHolds().Exported();

    /// <summary>
    /// A new plan: the routes of <paramref name="routes"/> with, per attribute group,
    /// <paramref name="groupAttributes"/> (null: not sent to this peer). Only the differences
    /// from what the peer holds become UPDATEs.
    /// </summary>
    public void SetDesired(RouteSet routes, PathAttributes?[] groupAttributes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(groupAttributes);
        if (groupAttributes.Length != routes.Templates.Length)
        {
            throw new ArgumentException($"{groupAttributes.Length} attribute sets for {routes.Templates.Length} groups.", nameof(groupAttributes));
        }
        SetDesired(new RibTable(routes.Prefixes, routes.Groups, groupAttributes, routes));
    }

    /// <summary>Replaces the whole desired set from any routes (sorted here); path identifiers are not kept (ours are 0).</summary>
    public void SetDesired(IEnumerable<KeyValuePair<Nlri, PathAttributes>> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        SetDesired(RibTable.From(routes));
    }

    private void SetDesired(RibTable desired)
    {
        var peer = PeerHolds();
        if (_pending is not { Started: true, Done: false } && IsDelta(peer, desired))
        {
            _pending = PendingUpdates.DiffAt(peer, desired, desired.Source!.Changed);
        }
        else
        {
            _pending = PendingUpdates.Diff(peer, desired);
        }
        _held = peer;
        _desired = desired;
    }

    /// <summary>
    /// True when <paramref name="desired"/> was made from the set the peer holds by
    /// <see cref="RouteSet.With"/> and the groups they share are sent with equal attributes, so
    /// that only the prefixes it names can differ.
    /// </summary>
    private static bool IsDelta(RibTable held, RibTable desired)
    {
        if (held.Source is not { } heldSet || desired.Source is not { } desiredSet || !desiredSet.IsChildOf(heldSet))
        {
            return false;
        }
        for (var g = 0; g < held.Attributes.Length; g++)
        {
            if (!Equals(held.Attributes[g], desired.Attributes[g]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The session went down: the peer holds nothing from us any more (RFC 4271 §8: routes of a
    /// closed session are gone), so everything desired is to be sent again on the next session.
    /// </summary>
    public void SessionReset()
    {
        _held = RibTable.Empty;
        _pending = PendingUpdates.Diff(_held, _desired);
    }

    /// <summary>
    /// Writes UPDATEs for pending changes — withdrawals first, then announcements grouped by
    /// attributes, each UPDATE full — while fewer than <paramref name="maxBytes"/> are written
    /// (the peer's output budget; whole messages, at least one): what does not fit stays pending
    /// for the next write, so a peer that reads slowly gets no more UPDATEs built than it can
    /// take. Returns the number of messages written.
    /// </summary>
    public int WriteChanges(IBufferWriter<byte> output, UpdateBuilder builder, long maxBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (_pending is not { Done: false } pending)
        {
            return 0;
        }
        var messages = pending.Write(output, builder, maxBytes);
        if (pending.Done)
        {
            _held = _desired;
            _pending = null;
        }
        return messages;
    }

    /// <summary>
    /// Everything the peer should hold, again (a ROUTE-REFRESH, RFC 2918 §4), for one family.
    /// Pending changes of that family are folded in; those of other families stay pending.
    /// </summary>
    public int WriteFull(IBufferWriter<byte> output, UpdateBuilder builder, Afi family)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var peer = PeerHolds();
        var full = PendingUpdates.Diff(peer, _desired, family);
        var messages = full.Write(output, builder, long.MaxValue);
        _held = peer.Apply(full.WrittenChanges());
        _pending = PendingUpdates.Diff(_held, _desired);
        return messages;
    }

    /// <summary>What the peer holds now: the held table with whatever of the pending plan is written.</summary>
    private RibTable PeerHolds() =>
        _pending is { Started: true, Done: false } pending ? _held.Apply(pending.WrittenChanges()) : _pending is { Done: true } ? _desired : _held;
}
