using System.Net;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>One path a peer announced to us, as it holds it now.</summary>
/// <param name="Nlri">The prefix (and ADD-PATH path identifier, RFC 7911).</param>
/// <param name="NextHop">NEXT_HOP for IPv4 unicast, else the MP_REACH_NLRI next hop (RFC 4760 §3).</param>
/// <param name="LinkLocalNextHop">The link-local half of a 32-octet IPv6 next hop (RFC 2545 §3).</param>
/// <param name="Attributes">The path attributes, without MP_REACH/MP_UNREACH (their content is above).</param>
public sealed record ReceivedRoute(Nlri Nlri, IPAddress? NextHop, IPAddress? LinkLocalNextHop, PathAttributes Attributes);

/// <summary>How many paths an <see cref="AdjRibIn"/> holds, and how many it did not keep (over its limit).</summary>
public sealed record ReceivedCount(int Held, long NotStored);

/// <summary>
/// What one peer has announced to us (RFC 4271 §3.2 Adj-RIB-In), kept for the operator to see and
/// never installed anywhere: a load balancer originates routes, it does not use them. At most
/// <see cref="Limit"/> paths are kept, so a peer sending a full table costs bounded memory; paths
/// beyond it are counted in <see cref="NotStored"/>, never silently lost from view. Owned by the
/// session loop (not thread-safe).
/// </summary>
public sealed class AdjRibIn(int limit)
{
    private readonly Dictionary<Nlri, ReceivedRoute> _routes = [];

    public int Limit { get; } = limit >= 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit cannot be negative.");

    public int Count => _routes.Count;

    /// <summary>Announcements not kept because <see cref="Limit"/> paths were held already.</summary>
    public long NotStored { get; private set; }

    /// <summary>
    /// Applies one received UPDATE. With an RFC 7606 treat-as-withdraw (or AFI/SAFI disable) outcome
    /// every NLRI the message carries is withdrawn (RFC 7606 §2), whatever it said; attribute
    /// discard keeps the announcement with the attributes the decoder kept.
    /// </summary>
    public void Apply(UpdateMessage update, BgpError error)
    {
        ArgumentNullException.ThrowIfNull(update);
        Withdraw(update.Withdrawn);
        var attributes = update.Attributes;
        if (attributes.MpUnreach is { } unreach)
        {
            Withdraw(unreach.Withdrawn);
        }
        if (error.Action is ErrorAction.TreatAsWithdraw or ErrorAction.AfiSafiDisable)
        {
            Withdraw(update.Nlri);
            if (attributes.MpReach is { } dropped)
            {
                Withdraw(dropped.Nlri);
            }
            return;
        }
        if (update.Nlri.Count == 0 && attributes.MpReach is null)
        {
            return; // withdrawals only, or End-of-RIB
        }
        // One attribute object shared by all prefixes of the message: a table of 10,000 routes
        // sent in 100 UPDATEs holds 100 of them.
        var shared = attributes with { MpReach = null, MpUnreach = null };
        foreach (var nlri in update.Nlri)
        {
            Announce(new ReceivedRoute(nlri, attributes.NextHop, null, shared));
        }
        if (attributes.MpReach is { } reach)
        {
            foreach (var nlri in reach.Nlri)
            {
                Announce(new ReceivedRoute(nlri, reach.NextHop, reach.LinkLocalNextHop, shared));
            }
        }
    }

    /// <summary>The session went down: a peer's routes live no longer than its session (RFC 4271 §8.2.2).</summary>
    public void Clear() => _routes.Clear();

    /// <summary>A copy, ordered by prefix.</summary>
    public IReadOnlyList<ReceivedRoute> Snapshot() =>
        _routes.Values.OrderBy(r => r.Nlri.Prefix).ThenBy(r => r.Nlri.PathId).ToArray();

    private void Announce(ReceivedRoute route)
    {
        if (_routes.Count >= Limit && !_routes.ContainsKey(route.Nlri))
        {
            NotStored++;
            return;
        }
        _routes[route.Nlri] = route; // an implicit withdraw of the earlier path (RFC 4271 §3.1)
    }

    private void Withdraw(ValueArray<Nlri> withdrawn)
    {
        foreach (var nlri in withdrawn)
        {
            _routes.Remove(nlri);
        }
    }
}
