using System.Collections.Immutable;
using System.Net;
using BgpLb.Allocator;

namespace BgpLb.L2Fallback.Election;

/// <summary>
/// One Service's L2 election input. <see cref="Address"/> is the Service's first load-balancer IP:
/// MetalLB orders by it for every address of the Service, so a dual-stack Service has one owner.
/// <see cref="NodeSelectors"/> holds, per L2Advertisement of the pool, its nodeSelectors (an empty
/// list selects every node; a node is selected if any advertisement selects it).
/// </summary>
public sealed record ElectionRequest(
    IPAddress Address,
    ImmutableArray<ImmutableArray<LabelSelector>> NodeSelectors,
    ExternalTrafficPolicy TrafficPolicy,
    ImmutableHashSet<string> NodesWithReadyEndpoint);
