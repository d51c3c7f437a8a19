using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>An L2Advertisement: pools (by name or selector; neither means all), nodes, and interfaces (none means all).</summary>
public sealed record L2AdvertisementConfig(string Namespace, string Name)
{
    public ImmutableArray<string> IpAddressPools { get; init; } = [];

    public ImmutableArray<LabelSelector> IpAddressPoolSelectors { get; init; } = [];

    public ImmutableArray<LabelSelector> NodeSelectors { get; init; } = [];

    public ImmutableArray<string> Interfaces { get; init; } = [];
}
