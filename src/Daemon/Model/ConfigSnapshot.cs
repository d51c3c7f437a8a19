using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// One whole validated configuration. Services are the allocator's <see cref="LoadBalancerService"/>,
/// with their namespace's labels already joined in; nothing here refers to YAML.
/// </summary>
public sealed record ConfigSnapshot
{
    public ImmutableArray<IpAddressPoolConfig> Pools { get; init; } = [];

    public ImmutableArray<BgpPeerConfig> Peers { get; init; } = [];

    public ImmutableArray<BgpAdvertisementConfig> BgpAdvertisements { get; init; } = [];

    public ImmutableArray<L2AdvertisementConfig> L2Advertisements { get; init; } = [];

    public ImmutableArray<BfdProfileConfig> BfdProfiles { get; init; } = [];

    public ImmutableArray<CommunityConfig> Communities { get; init; } = [];

    public ImmutableArray<LoadBalancerService> Services { get; init; } = [];

    public ImmutableArray<NodeConfig> Nodes { get; init; } = [];

    public ImmutableArray<LabelledObject> Namespaces { get; init; } = [];

    public ImmutableArray<SecretConfig> Secrets { get; init; } = [];

    public ImmutableArray<EndpointSliceConfig> EndpointSlices { get; init; } = [];
}
