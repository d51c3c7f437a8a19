using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// A BGPAdvertisement: which pools (by name or label selector; neither means all), to which peers (none
/// means all), from which nodes, and with what attributes. Community names are already resolved to values.
/// </summary>
public sealed record BgpAdvertisementConfig(string Namespace, string Name)
{
    public const int FullLengthV4 = 32;
    public const int FullLengthV6 = 128;

    public ImmutableArray<string> IpAddressPools { get; init; } = [];

    public ImmutableArray<LabelSelector> IpAddressPoolSelectors { get; init; } = [];

    public int AggregationLength { get; init; } = FullLengthV4;

    public int AggregationLengthV6 { get; init; } = FullLengthV6;

    /// <summary>LOCAL_PREF, sent to iBGP peers only (RFC 4271 §5.1.5).</summary>
    public uint? LocalPref { get; init; }

    public ImmutableArray<BgpCommunity> Communities { get; init; } = [];

    public ImmutableArray<string> Peers { get; init; } = [];

    public ImmutableArray<LabelSelector> NodeSelectors { get; init; } = [];
}
