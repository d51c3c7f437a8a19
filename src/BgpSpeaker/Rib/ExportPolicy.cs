using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// Fits a <see cref="Route"/> to one session: ORIGIN IGP, our AS on eBGP and an empty AS_PATH on
/// iBGP (RFC 4271 §5.1.2), next hop self (§5.1.3: the session's local address; for IPv6 the global
/// address and, when the peer is on the same link, our link-local one, RFC 2545 §3), LOCAL_PREF
/// only to internal peers (§5.1.5). Results are cached so that routes with equal attributes share
/// one <see cref="PathAttributes"/> instance, which the UPDATE builder groups by.
/// </summary>
public sealed class ExportPolicy
{
    private readonly uint _localAsn;
    private readonly bool _external;
    private readonly IPAddress? _nextHopV4;
    private readonly IPAddress? _nextHopV6;
    private readonly IPAddress? _linkLocalV6;
    private readonly Dictionary<PathAttributes, PathAttributes> _interned = [];

    /// <param name="localAsn">Our AS.</param>
    /// <param name="session">What the OPENs negotiated.</param>
    /// <param name="nextHopV4">Our IPv4 address on this session (the local end of an IPv4 session, or configured).</param>
    /// <param name="nextHopV6">Our global IPv6 address for this peer.</param>
    /// <param name="linkLocalV6">Our link-local IPv6 address when the peer shares the link.</param>
    public ExportPolicy(uint localAsn, NegotiatedSession session, IPAddress? nextHopV4, IPAddress? nextHopV6, IPAddress? linkLocalV6)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (nextHopV4 is { AddressFamily: not AddressFamily.InterNetwork })
        {
            throw new ArgumentException($"{nextHopV4} is not an IPv4 next hop.", nameof(nextHopV4));
        }
        if (nextHopV6 is { AddressFamily: not AddressFamily.InterNetworkV6 } || linkLocalV6 is { IsIPv6LinkLocal: false })
        {
            throw new ArgumentException("The IPv6 next hop must be a global IPv6 address and the link-local one link-local.", nameof(nextHopV6));
        }
        _localAsn = localAsn;
        _external = session.IsExternal;
        _nextHopV4 = nextHopV4;
        _nextHopV6 = nextHopV6;
        _linkLocalV6 = linkLocalV6;
    }

    /// <summary>The attributes for <paramref name="route"/>, or null when this session has no next hop for its family.</summary>
    public PathAttributes? Attributes(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var attributes = new PathAttributes
        {
            Origin = Origin.Igp,
            AsPath = _external ? AsPath.Sequence(_localAsn) : AsPath.Empty,
            MultiExitDisc = route.MultiExitDisc,
            LocalPref = _external ? null : route.LocalPref ?? DefaultLocalPref,
            Communities = route.Communities,
            LargeCommunities = route.LargeCommunities,
            ExtendedCommunities = route.ExtendedCommunities,
        };
        if (route.Prefix.Family == Afi.IPv4)
        {
            if (_nextHopV4 is null)
            {
                return null;
            }
            attributes = attributes with { NextHop = _nextHopV4 };
        }
        else
        {
            if (_nextHopV6 is null)
            {
                return null;
            }
            attributes = attributes with { MpReach = new MpReach(AfiSafi.IPv6Unicast, _nextHopV6, _linkLocalV6, default) };
        }
        if (_interned.TryGetValue(attributes, out var shared))
        {
            return shared;
        }
        // The cache only serves grouping; attribute sets of past plans must not pile up for the
        // session's whole life, and the RIB compares by value, so forgetting them is harmless.
        if (_interned.Count >= MaxInterned)
        {
            _interned.Clear();
        }
        _interned.Add(attributes, attributes);
        return attributes;
    }

    private const int MaxInterned = 4096;

    /// <summary>RFC 4271 §5.1.5 leaves the value to policy; 100 is what BIRD, FRR and GoBGP assume.</summary>
    public const uint DefaultLocalPref = 100;
}
