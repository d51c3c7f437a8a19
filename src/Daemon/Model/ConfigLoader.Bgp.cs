using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

public sealed partial class ConfigLoader
{
    // RFC 4271 §4.2: the Hold Time is 0 (no keepalives) or at least 3 seconds.
    private static readonly TimeSpan MinimumHoldTime = TimeSpan.FromSeconds(3);

    // MetalLB's v1beta2 webhook bounds connectTime to [1 s, 65535 s].
    private static readonly TimeSpan MinimumConnectTime = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumConnectTime = TimeSpan.FromSeconds(ushort.MaxValue);

    private const long MaxAsn = uint.MaxValue;

    /// <summary>MetalLB BGPPeer fields BgpLb does not implement: an error rather than a peer that silently behaves otherwise.</summary>
    private static readonly Dictionary<string, string> UnsupportedPeerFields = new(StringComparer.Ordinal)
    {
        ["vrf"] = "not supported: BgpLb peers from the default VRF only",
        ["interface"] = "not supported: unnumbered BGP (peering over an interface) is not implemented",
        ["dualStackAddressFamily"] = "not supported: each session carries the address family of its peer address",
    };

    private readonly Dictionary<BgpPeerConfig, PeerSecretRef> _secretRefs = new(ReferenceEqualityComparer.Instance);

    private void ReadPeer(Fields spec, (string Namespace, string Name) meta)
    {
        var myAsn = spec.Integer("myASN", 1, MaxAsn, required: true);
        var peerAsn = spec.Integer("peerASN", 1, MaxAsn);
        var dynamicText = spec.String("dynamicASN");
        DynamicAsn? dynamicAsn = dynamicText switch
        {
            null => null,
            "internal" => DynamicAsn.Internal,
            "external" => DynamicAsn.External,
            _ => null,
        };
        if (dynamicText is not null && dynamicAsn is null)
        {
            spec.Error("dynamicASN", $"\"{dynamicText}\" is neither \"internal\" nor \"external\"");
        }
        if (peerAsn is not null && dynamicText is not null)
        {
            spec.Error("dynamicASN", "peerASN and dynamicASN are mutually exclusive");
        }
        else if (peerAsn is null && dynamicText is null && !spec.Has("peerASN"))
        {
            spec.Error("peerASN", "required (or dynamicASN)");
        }
        var address = ReadAddress(spec, "peerAddress", required: true);
        var source = ReadAddress(spec, "sourceAddress", required: false);
        var routerId = ReadAddress(spec, "routerID", required: false);
        if (routerId is { Family: IpFamily.IPv6 })
        {
            spec.Error("routerID", $"\"{routerId}\" is not an IPv4 address (a BGP Identifier is 32 bits, RFC 4271 §4.2)");
        }
        var port = (int)(spec.Integer("peerPort", 1, ushort.MaxValue) ?? BgpPeerConfig.DefaultPort);
        var holdTime = spec.Duration("holdTime");
        var keepalive = spec.Duration("keepaliveTime");
        var connectTime = spec.Duration("connectTime");
        // The OPEN carries whole seconds, so MetalLB rounds down before checking. In MetalLB's CRDs a zero
        // duration cannot be told from an unset one, so 0 means the default, not RFC 4271's "no hold timer".
        var hold = holdTime is { } h && h != TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Floor(h.TotalSeconds)) : BgpPeerConfig.DefaultHoldTime;
        if (holdTime == TimeSpan.Zero)
        {
            spec.Warning("holdTime", "0 means the default 90s, as in MetalLB");
        }
        else if (holdTime is not null && hold < MinimumHoldTime)
        {
            spec.Error("holdTime", $"\"{spec.String("holdTime")}\" is invalid: must be at least 3s (RFC 4271 §4.2)");
        }
        var keep = keepalive is { } k0 && k0 != TimeSpan.Zero ? k0 : hold / 3;
        if (keepalive is { } k && (k < TimeSpan.Zero || k > hold))
        {
            spec.Error("keepaliveTime", $"\"{spec.String("keepaliveTime")}\" is invalid: must not be negative nor longer than holdTime ({hold.TotalSeconds}s)");
        }
        if (connectTime is { } c && (c < MinimumConnectTime || c > MaximumConnectTime))
        {
            spec.Error("connectTime", $"\"{spec.String("connectTime")}\" is invalid: must be between 1s and 65535s");
        }
        var password = spec.String("password");
        PeerSecretRef? secretRef = null;
        if (spec.Map("passwordSecret") is { } ps)
        {
            var secretName = ps.String("name", required: true);
            var secretNs = ps.String("namespace") ?? meta.Namespace;
            ps.RejectUnknown();
            if (password is not null)
            {
                spec.Error("passwordSecret", "password and passwordSecret are mutually exclusive");
            }
            else if (secretName is not null)
            {
                secretRef = new PeerSecretRef(secretNs, secretName, ps.Node, ps.Path);
            }
        }
        var ebgpMultiHop = spec.Bool("ebgpMultiHop") ?? false;
        if (ebgpMultiHop && myAsn is not null && myAsn == peerAsn)
        {
            spec.Error("ebgpMultiHop", "set for an iBGP peer (myASN equals peerASN)");
        }
        if (ebgpMultiHop && dynamicAsn == DynamicAsn.Internal)
        {
            spec.Error("ebgpMultiHop", "set for an iBGP peer (dynamicASN internal)");
        }
        var peer = new BgpPeerConfig(meta.Namespace, meta.Name)
        {
            MyAsn = (uint)(myAsn ?? 0),
            PeerAsn = (uint?)peerAsn,
            DynamicAsn = dynamicAsn,
            PeerAddress = address ?? default,
            PeerPort = port,
            SourceAddress = source,
            HoldTime = hold,
            KeepaliveTime = keep,
            ConnectTime = connectTime,
            RouterId = routerId,
            Password = password,
            BfdProfile = spec.String("bfdProfile"),
            EbgpMultiHop = ebgpMultiHop,
            EnableGracefulRestart = spec.Bool("enableGracefulRestart") ?? false,
            NodeSelectors = Selectors.ReadList(spec, "nodeSelectors"),
            DisableMP = spec.Bool("disableMP") ?? false,
        };
        spec.RejectUnknown(UnsupportedPeerFields);
        if (secretRef is not null)
        {
            _secretRefs[peer] = secretRef;
        }
        _peers.Add(new(peer, spec));
    }

    private static IpAddress? ReadAddress(Fields spec, string key, bool required)
    {
        var text = spec.String(key, required);
        if (text is null)
        {
            return null;
        }
        if (!StrictIp.TryParse(text, out var address))
        {
            spec.Error(key, $"\"{text}\" is not an IP address");
            return null;
        }
        return address;
    }

    private void ReadBgpAdvertisement(Fields spec, (string Namespace, string Name) meta)
    {
        var advertisement = new BgpAdvertisementConfig(meta.Namespace, meta.Name)
        {
            IpAddressPools = [.. spec.Strings("ipAddressPools", unique: true).Select(p => p.Value)],
            IpAddressPoolSelectors = Selectors.ReadList(spec, "ipAddressPoolSelectors"),
            AggregationLength = (int)(spec.Integer("aggregationLength", 0, BgpAdvertisementConfig.FullLengthV4) ?? BgpAdvertisementConfig.FullLengthV4),
            AggregationLengthV6 = (int)(spec.Integer("aggregationLengthV6", 0, BgpAdvertisementConfig.FullLengthV6) ?? BgpAdvertisementConfig.FullLengthV6),
            LocalPref = (uint?)spec.Integer("localPref", 0, uint.MaxValue),
            Peers = [.. spec.Strings("peers", unique: true).Select(p => p.Value)],
            NodeSelectors = Selectors.ReadList(spec, "nodeSelectors"),
        };
        var communities = spec.Strings("communities", unique: true);
        spec.RejectUnknown();
        _bgpAdvertisements.Add(new(new PendingAdvertisement(advertisement, communities), spec));
    }

    private void ReadBfdProfile(Fields spec, (string Namespace, string Name) meta)
    {
        // MetalLB's ranges (bfdProfileFromCR); intervals in milliseconds.
        const long MinInterval = 10, MaxInterval = 60000;
        var defaults = new BfdProfileConfig(meta.Namespace, meta.Name);
        var profile = defaults with
        {
            ReceiveInterval = (uint)(spec.Integer("receiveInterval", MinInterval, MaxInterval) ?? defaults.ReceiveInterval),
            TransmitInterval = (uint)(spec.Integer("transmitInterval", MinInterval, MaxInterval) ?? defaults.TransmitInterval),
            DetectMultiplier = (uint)(spec.Integer("detectMultiplier", 2, byte.MaxValue) ?? defaults.DetectMultiplier),
            EchoInterval = (uint)(spec.Integer("echoInterval", MinInterval, MaxInterval) ?? defaults.EchoInterval),
            EchoMode = spec.Bool("echoMode") ?? false,
            PassiveMode = spec.Bool("passiveMode") ?? false,
            MinimumTtl = (uint)(spec.Integer("minimumTtl", 1, byte.MaxValue - 1) ?? defaults.MinimumTtl),
        };
        spec.RejectUnknown();
        _bfdProfiles.Add(new(profile, spec));
    }

    private void ReadCommunity(Fields spec, (string Namespace, string Name) meta)
    {
        var aliases = ImmutableDictionary.CreateBuilder<string, BgpCommunity>(StringComparer.Ordinal);
        foreach (var (_, item) in spec.MapItems("communities"))
        {
            var name = item.String("name", required: true);
            var value = item.String("value", required: true);
            item.RejectUnknown();
            if (name is null || value is null)
            {
                continue;
            }
            if (!BgpCommunity.TryParse(value, out var community, out var error))
            {
                item.Error("value", error);
                continue;
            }
            if (!aliases.TryAdd(name, community))
            {
                item.Error("name", $"duplicate community name \"{name}\"");
            }
        }
        spec.RejectUnknown();
        _communities.Add(new(new CommunityConfig(meta.Namespace, meta.Name, aliases.ToImmutable()), spec));
    }
}
