using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>A Community object: names for community values, which BGPAdvertisements may use instead of the values.</summary>
public sealed record CommunityConfig(string Namespace, string Name, ImmutableDictionary<string, BgpCommunity> Aliases);
