using System.Collections.Immutable;
using CsCheck;

namespace BgpLb.Allocator.Tests.Support;

/// <summary>One step of a random history.</summary>
internal abstract record Step;

internal sealed record EnsureStep(LoadBalancerService Service) : Step
{
    public override string ToString() => $"Ensure {Service.Key} {string.Join(" ", Service.Annotations.Select(a => a.Key[(a.Key.IndexOf('/', StringComparison.Ordinal) + 1)..] + "=" + a.Value))} ip={Service.LoadBalancerIP} {Service.IpFamilyPolicy}[{string.Join(",", Service.IpFamilies)}] ports={string.Join(",", Service.Ports)} {Service.ExternalTrafficPolicy} app={Service.Selector.GetValueOrDefault("app")} ns-tier={Service.NamespaceLabels.GetValueOrDefault("tier")}";
}

internal sealed record ReleaseStep(ServiceKey Service) : Step;

internal sealed record PoolsStep(ImmutableArray<AddressPool> Pools) : Step
{
    public override string ToString() => "Pools " + string.Join(" | ", Pools.Select(p =>
        $"{p.Name}[{string.Join(",", p.Addresses)}] auto={p.AutoAssign} buggy={p.AvoidBuggyIPs} prio={p.ServiceAllocation?.Priority} ns={string.Join(",", p.ServiceAllocation?.Namespaces ?? [])} sel={p.ServiceAllocation?.NamespaceSelectors.Length}"));
}

internal sealed record RestartStep : Step;

/// <summary>
/// Generators over a deliberately small world (two namespaces, six names, a few tiny ranges) so
/// that addresses run out, collide and get shared often.
/// </summary>
internal static class Scenario
{
    // Disjoint ranges; each generated configuration gives each of them to at most one pool.
    private static readonly string[] Menu =
        ["198.18.0.0/29", "198.18.0.8/30", "198.18.0.254-198.18.1.2", "198.18.2.0/31", "2001:db8::/126", "2001:db8::10/127"];

    private static readonly string[] RequestableIps =
        ["198.18.0.1", "198.18.0.9", "198.18.1.0", "198.18.1.1", "198.18.2.1", "2001:db8::1", "2001:db8::11", "203.0.113.5"];

    public static readonly ImmutableDictionary<string, string> Prod = ImmutableDictionary<string, string>.Empty.Add("tier", "prod");

    private static readonly Gen<ServiceAllocation?> Allocation = Gen.Frequency(
        (5, Gen.Const((ServiceAllocation?)null)),
        (2, Gen.Int[0, 2].Select(p => (ServiceAllocation?)new ServiceAllocation { Priority = p })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { Priority = 1, Namespaces = ["a"] })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { NamespaceSelectors = [new LabelSelector { MatchLabels = Prod }] })));

    /// <summary>Up to three pools, each range of the menu in at most one of them.</summary>
    public static readonly Gen<ImmutableArray<AddressPool>> Pools =
        Gen.Select(Gen.Int[-1, 2].Array[Menu.Length], Gen.Bool.Array[3], Gen.Bool.Array[3], Allocation.Array[3], (owner, auto, buggy, alloc) =>
            Enumerable.Range(0, 3)
                .Select(p => new AddressPool("p" + p, [.. Menu.Where((_, i) => owner[i] == p).Select(AddressRange.Parse)])
                {
                    // Mostly auto-assigning, so that most Services get something.
                    AutoAssign = auto[p] || p == 0,
                    AvoidBuggyIPs = buggy[p],
                    ServiceAllocation = alloc[p],
                })
                .Where(p => !p.Addresses.IsEmpty)
                .ToImmutableArray());

    private static readonly Gen<(IpFamilyPolicy, ImmutableArray<IpFamily>)> Families = Gen.OneOf(
        (IpFamilyPolicy.SingleStack, ImmutableArray<IpFamily>.Empty),
        (IpFamilyPolicy.SingleStack, [IpFamily.IPv6]),
        (IpFamilyPolicy.PreferDualStack, [IpFamily.IPv4, IpFamily.IPv6]),
        (IpFamilyPolicy.RequireDualStack, [IpFamily.IPv6, IpFamily.IPv4]));

    private static readonly ServicePort[] PortMenu =
        [new(80, TransportProtocol.TCP), new(80, TransportProtocol.UDP), new(443, TransportProtocol.TCP)];

    public static readonly Gen<ServiceKey> Key =
        Gen.Select(Gen.OneOf("a", "b"), Gen.Int[0, 5], (ns, n) => new ServiceKey(ns, "s" + n));

    public static readonly Gen<LoadBalancerService> Service = Gen.Select(
        Key,
        Gen.OneOf<string?>(null, null, "k1", "k2"),
        Gen.Bool.Array[PortMenu.Length],
        Families,
        Gen.Frequency((6, Gen.Const((string?)null)), (2, Gen.OneOf<string?>(RequestableIps)), (1, Gen.OneOf("p0", "p1", "p2", "nope").Select(p => (string?)("pool:" + p)))),
        Gen.Int[0, 3],
        Gen.Bool,
        (key, sharing, ports, families, request, local, prodNamespace) =>
        {
            var service = new LoadBalancerService(key)
            {
                Ports = [.. PortMenu.Where((_, i) => ports[i])],
                IpFamilyPolicy = families.Item1,
                IpFamilies = families.Item2,
                ExternalTrafficPolicy = local == 0 ? ExternalTrafficPolicy.Local : ExternalTrafficPolicy.Cluster,
                Selector = ImmutableDictionary<string, string>.Empty.Add("app", local == 1 ? "y" : "x"),
                NamespaceLabels = prodNamespace ? Prod : ImmutableDictionary<string, string>.Empty,
            };
            if (sharing is not null)
            {
                service = service.Shared(sharing);
            }
            if (request is not null && request.StartsWith("pool:", StringComparison.Ordinal))
            {
                service = service.InPool(request["pool:".Length..]);
            }
            else if (request is not null)
            {
                service = service with { LoadBalancerIP = request };
            }
            return service;
        });

    public static readonly Gen<Step> Step = Gen.Frequency(
        (12, Service.Select(s => (Step)new EnsureStep(s))),
        (3, Key.Select(k => (Step)new ReleaseStep(k))),
        (2, Pools.Select(p => (Step)new PoolsStep(p))),
        (2, Gen.Const((Step)new RestartStep())));

    /// <summary>A history: the first pools, then steps.</summary>
    public static readonly Gen<(ImmutableArray<AddressPool> Pools, Step[] Steps)> History =
        Gen.Select(Pools, Step.Array[1, 60], (p, s) => (p, s));
}
