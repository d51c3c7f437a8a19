using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>The checks that need every object: duplicates, overlaps and references, then the snapshot.</summary>
public sealed partial class ConfigLoader
{
    /// <param name="diff">The files changed since the cache's last good load (null: none, or no cache).</param>
    private ConfigLoadResult Finish(int files, FileDiff? diff)
    {
        // The previous good load had no duplicate Service, and no file of Services changed since.
        var servicesUntouched = diff is { ServicesUntouched: true };
        Duplicates(_pools, p => p.Name, "IPAddressPool");
        Duplicates(_peers, p => p.Name, "BGPPeer");
        Duplicates(_bgpAdvertisements, a => a.Value.Name, "BGPAdvertisement");
        Duplicates(_l2Advertisements, a => a.Name, "L2Advertisement");
        Duplicates(_bfdProfiles, b => b.Name, "BFDProfile");
        Duplicates(_communities, c => c.Name, "Community");
        if (!servicesUntouched)
        {
            Duplicates(_services, s => s.Key, "Service");
        }
        Duplicates(_nodes, n => n.Name, "Node");
        Duplicates(_namespaces, n => n.Name, "Namespace");
        Duplicates(_secrets, s => s.Namespace + "/" + s.Name, "Secret");
        CheckOverlaps();
        var peers = CheckPeers();
        var advertisements = CheckAdvertisements(peers);
        CheckL2Advertisements();
        CheckL2Membership();
        // In file and line order, so the output reads along the files whichever check found what.
        var diagnostics = _diagnostics.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ToImmutableArray();
        if (diagnostics.Any(d => d.Severity == Severity.Error))
        {
            return new ConfigLoadResult(null, diagnostics, files);
        }
        var namespaceLabels = _namespaces.ToDictionary(n => n.Value.Name, n => n.Value.Labels, StringComparer.Ordinal);
        var snapshot = new ConfigSnapshot
        {
            Pools = [.. _pools.Select(p => p.Value)],
            Peers = peers,
            BgpAdvertisements = advertisements,
            L2Advertisements = [.. _l2Advertisements.Select(a => a.Value)],
            BfdProfiles = [.. _bfdProfiles.Select(b => b.Value)],
            Communities = [.. _communities.Select(c => c.Value)],
            Services = servicesUntouched ? diff!.Base.Services : [.. _services.Select(s => WithNamespaceLabels(s.Value, namespaceLabels))],
            Nodes = [.. _nodes.Select(n => n.Value)],
            Namespaces = [.. _namespaces.Select(n => n.Value)],
            Secrets = [.. _secrets.Select(s => s.Value)],
            EndpointSlices = [.. _endpointSlices.Select(e => e.Value)],
        };
        return new ConfigLoadResult(snapshot, diagnostics, files) { Changes = diff is null ? null : ChangesOf(diff, namespaceLabels) };
    }

    // A namespace without labels (the common case) leaves the Service as read: a copy of each of 100,000
    // Services would be 10 MB more for nothing.
    private static LoadBalancerService WithNamespaceLabels(LoadBalancerService service, Dictionary<string, ImmutableDictionary<string, string>> labels) =>
        labels.TryGetValue(service.Key.Namespace, out var found) && found.Count > 0 && !ReferenceEquals(found, service.NamespaceLabels)
            ? service with { NamespaceLabels = found }
            : service;

    private static ConfigChanges ChangesOf(FileDiff diff, Dictionary<string, ImmutableDictionary<string, string>> labels)
    {
        var upserted = diff.Changed.Where(c => c.New is not null).SelectMany(c => c.New!.Services).Select(s => WithNamespaceLabels(s, labels)).ToImmutableArray();
        var kept = upserted.Select(s => s.Key).ToHashSet();
        // A Service that moved to another file is upserted, not removed: releasing it would cost its VIP.
        var removed = diff.Changed.Where(c => c.Old is not null).SelectMany(c => c.Old!.Services)
            .Select(s => s.Key).Where(k => !kept.Contains(k)).Distinct().ToImmutableArray();
        return new ConfigChanges(diff.Base, diff.OnlyServices, removed, upserted);
    }

    /// <summary>Two objects of one kind with one name: the second is an error naming where the first is.</summary>
    private static void Duplicates<T>(List<Located<T>> objects, Func<T, string> key, string kind)
    {
        var first = new Dictionary<string, Located<T>>(StringComparer.Ordinal);
        foreach (var located in objects)
        {
            if (!first.TryAdd(key(located.Value), located))
            {
                var earlier = first[key(located.Value)];
                var context = located.Spec.Context;
                context.Error(context.Root, "metadata.name",
                    $"duplicate {kind} \"{key(located.Value)}\" (also defined in {earlier.Spec.Context.File}:{earlier.Spec.Context.Root?.Start.Line})");
            }
        }
    }

    private void Duplicates<T, TKey>(List<Placed<T>> objects, Func<T, TKey> key, string kind)
        where TKey : notnull
    {
        var first = new Dictionary<TKey, Placed<T>>();
        foreach (var placed in objects)
        {
            if (!first.TryAdd(key(placed.Value), placed))
            {
                var earlier = first[key(placed.Value)];
                _diagnostics.Add(new Diagnostic(Severity.Error, placed.File, placed.Line, kind + " " + key(placed.Value), "metadata.name",
                    $"duplicate {kind} \"{key(placed.Value)}\" (also defined in {earlier.File}:{earlier.Line})"));
            }
        }
    }

    /// <summary>MetalLB rejects a configuration in which any two CIDRs or ranges overlap, in one pool or in two.</summary>
    private void CheckOverlaps()
    {
        var all = _pools.SelectMany(p => _poolEntries[p.Value].Select(e => (Pool: p, e.Range, e.Path, e.Node)))
            .OrderBy(e => e.Range.First).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            // Sorted by start, so the entries that overlap entry i are the following ones starting before it ends.
            for (var j = i + 1; j < all.Count && all[j].Range.Overlaps(all[i].Range); j++)
            {
                var (later, earlier) = (all[j], all[i]);
                later.Pool.Spec.Context.Error(later.Node, later.Path,
                    $"\"{later.Range}\" overlaps \"{earlier.Range}\" of IPAddressPool \"{earlier.Pool.Value.Name}\"");
            }
        }
    }

    private ImmutableArray<BgpPeerConfig> CheckPeers()
    {
        var profiles = _bfdProfiles.Select(b => b.Value.Name).ToHashSet(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<BgpPeerConfig>();
        var sessions = new List<Located<BgpPeerConfig>>();
        foreach (var located in _peers)
        {
            var (peer, spec) = (located.Value, located.Spec);
            if (peer.BfdProfile is { } profile && !profiles.Contains(profile))
            {
                spec.Error("bfdProfile", $"BFDProfile \"{profile}\" does not exist");
            }
            if (_secretRefs.TryGetValue(peer, out var secretRef))
            {
                peer = peer with { Password = ResolvePassword(spec, secretRef) };
            }
            // Two peers with one address, port and node selection would be two sessions to one router from one node.
            var twin = sessions.FirstOrDefault(s => s.Value.PeerAddress == peer.PeerAddress && s.Value.PeerPort == peer.PeerPort
                && s.Value.NodeSelectors.SequenceEqual(peer.NodeSelectors));
            if (twin is not null)
            {
                spec.Error("peerAddress", $"duplicate peer: BGPPeer \"{twin.Value.Name}\" already peers with {peer.PeerAddress} port {peer.PeerPort} from the same nodes");
            }
            sessions.Add(located);
            result.Add(peer);
        }
        return result.ToImmutable();
    }

    private string? ResolvePassword(Fields spec, PeerSecretRef secretRef)
    {
        var secret = _secrets.Select(s => s.Value).FirstOrDefault(s => s.Name == secretRef.Name && s.Namespace == (secretRef.Namespace.Length == 0 ? DefaultNamespace : secretRef.Namespace));
        var where = (secretRef.Namespace.Length == 0 ? DefaultNamespace : secretRef.Namespace) + "/" + secretRef.Name;
        if (secret is null)
        {
            spec.Context.Error(secretRef.Node, secretRef.Path, $"Secret \"{where}\" does not exist");
            return null;
        }
        if (secret.Type != SecretConfig.BasicAuth)
        {
            spec.Context.Error(secretRef.Node, secretRef.Path, $"Secret \"{where}\" is of type \"{secret.Type}\", not \"{SecretConfig.BasicAuth}\"");
            return null;
        }
        if (!secret.Data.TryGetValue("password", out var password))
        {
            spec.Context.Error(secretRef.Node, secretRef.Path, $"Secret \"{where}\" has no \"password\" key");
            return null;
        }
        return password;
    }

    private ImmutableArray<BgpAdvertisementConfig> CheckAdvertisements(ImmutableArray<BgpPeerConfig> peers)
    {
        var aliases = new Dictionary<string, BgpCommunity>(StringComparer.Ordinal);
        foreach (var located in _communities)
        {
            foreach (var (name, value) in located.Value.Aliases)
            {
                if (!aliases.TryAdd(name, value))
                {
                    located.Spec.Error("communities", $"community name \"{name}\" is also defined by another Community object");
                }
            }
        }
        var peerNames = peers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<BgpAdvertisementConfig>();
        var specs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var located in _bgpAdvertisements)
        {
            var (pending, spec) = (located.Value, located.Spec);
            var communities = ImmutableArray.CreateBuilder<BgpCommunity>();
            foreach (var (path, node, text) in pending.Communities)
            {
                if (aliases.TryGetValue(text, out var named))
                {
                    communities.Add(named);
                }
                else if (BgpCommunity.TryParse(text, out var value, out var error))
                {
                    communities.Add(value);
                }
                else
                {
                    // MetalLB: text that is not a value must name a Community alias.
                    spec.Context.Error(node, path, text.Contains(':', StringComparison.Ordinal) ? error : $"\"{text}\" is neither a community value nor the name of one in a Community object");
                }
            }
            var advertisement = pending.Value with { Communities = communities.ToImmutable() };
            // MetalLB's validateDuplicateBGPAdvertisements: two advertisements saying the same thing are a mistake.
            if (!specs.TryAdd(SpecText(advertisement), advertisement.Name))
            {
                spec.Context.Error(spec.Node, spec.Path, $"the same as BGPAdvertisement \"{specs[SpecText(advertisement)]}\"");
            }
            foreach (var peer in advertisement.Peers.Where(p => !peerNames.Contains(p)))
            {
                spec.Warning("peers", $"BGPPeer \"{peer}\" does not exist (yet): nothing is advertised to it");
            }
            foreach (var pool in advertisement.IpAddressPools.Where(p => !_pools.Any(q => q.Value.Name == p)))
            {
                spec.Warning("ipAddressPools", $"IPAddressPool \"{pool}\" does not exist (yet): nothing of it is advertised");
            }
            foreach (var pool in SelectedPools(advertisement.IpAddressPools, advertisement.IpAddressPoolSelectors))
            {
                CheckAggregation(spec, advertisement, pool);
            }
            result.Add(advertisement);
        }
        return result.ToImmutable();
    }

    private static string SpecText(BgpAdvertisementConfig a) => string.Join("|",
        string.Join(",", a.IpAddressPools), string.Join(",", a.IpAddressPoolSelectors.Select(Selectors.Canonical)),
        a.AggregationLength, a.AggregationLengthV6, a.LocalPref, string.Join(",", a.Communities),
        string.Join(",", a.Peers), string.Join(",", a.NodeSelectors.Select(Selectors.Canonical)));

    private void CheckL2Advertisements()
    {
        foreach (var located in _l2Advertisements)
        {
            foreach (var pool in located.Value.IpAddressPools.Where(p => !_pools.Any(q => q.Value.Name == p)))
            {
                located.Spec.Warning("ipAddressPools", $"IPAddressPool \"{pool}\" does not exist (yet): nothing of it is advertised");
            }
        }
    }

    /// <summary>Pools named or selected; neither given means every pool (MetalLB).</summary>
    private IEnumerable<IpAddressPoolConfig> SelectedPools(ImmutableArray<string> names, ImmutableArray<LabelSelector> selectors) =>
        _pools.Select(p => p.Value).Where(p =>
            (names.IsEmpty && selectors.IsEmpty) || names.Contains(p.Name) || selectors.Any(s => s.Matches(p.Labels)));

    /// <summary>
    /// An aggregate shorter than a pool's prefix would announce addresses outside the pool, so MetalLB
    /// refuses it: the length must be at least the shortest prefix among the CIDRs of every entry.
    /// </summary>
    private void CheckAggregation(Fields spec, BgpAdvertisementConfig advertisement, IpAddressPoolConfig pool)
    {
        foreach (var (range, path, _) in _poolEntries[pool])
        {
            var (field, length) = range.Family == IpFamily.IPv4
                ? ("aggregationLength", advertisement.AggregationLength)
                : ("aggregationLengthV6", advertisement.AggregationLengthV6);
            var prefix = ShortestPrefix(range);
            if (length < prefix)
            {
                spec.Error(field, $"{length} is shorter than /{prefix} of \"{range}\" (IPAddressPool \"{pool.Name}\" {path}): the aggregate would cover addresses outside the pool");
            }
        }
    }
}
