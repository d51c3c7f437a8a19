using System.Collections.Immutable;
using CsCheck;

namespace BgpLb.Allocator.Tests.Support;

/// <summary>One step of a random history.</summary>
internal abstract record Step;

internal sealed record EnsureStep(LoadBalancerService Service) : Step
{
    public override string ToString() => $"Ensure {Service.Key} {string.Join(" ", Service.Annotations.Select(a => a.Key[(a.Key.IndexOf('/', StringComparison.Ordinal) + 1)..] + "=" + a.Value))} ip={Service.LoadBalancerIP} {Service.IpFamilyPolicy}[{string.Join(",", Service.IpFamilies)}] ports={string.Join(",", Service.Ports)} {Service.ExternalTrafficPolicy} app={Service.Selector.GetValueOrDefault("app")} labels={string.Join(",", Service.Labels.Select(l => l.Key + "=" + l.Value))} ns-tier={Service.NamespaceLabels.GetValueOrDefault("tier")}";
}

internal sealed record ReleaseStep(ServiceKey Service) : Step;

internal sealed record PoolsStep(ImmutableArray<AddressPool> Pools) : Step
{
    public override string ToString() => "Pools " + Scenario.Describe(Pools);
}

internal sealed record RestartStep : Step;

/// <summary>
/// Generators over a small world (two namespaces, ten names, four pools) where addresses run out, collide
/// and get shared often: tiny ranges (a /29 down to a /31, a range across a /24 boundary, IPv6 /126 and
/// /127) sit beside large ones (an IPv4 /22 and /16, an IPv6 /64 and /48), so a pool may be exhausted
/// while its neighbour never is. Pools select Services by priority, namespaces, namespace selectors and
/// service selectors; Services carry sharing keys with port sets, requested addresses (spec and
/// annotation, single and dual-stack, inside and outside the pools) and requested pools.
/// </summary>
internal static class Scenario
{
    // Disjoint ranges; each generated configuration gives each of them to at most one pool.
    private static readonly string[] Menu =
    [
        "198.18.0.0/29", "198.18.0.8/30", "198.18.0.254-198.18.1.2", "198.18.2.0/31", "2001:db8::/126", "2001:db8::10/127",
        "198.18.4.0/22", "198.19.0.0/16", "2001:db8:ffff::/64", "2001:db8:fff0::/48",
    ];

    private static readonly string[] RequestableIps =
    [
        "198.18.0.1", "198.18.0.9", "198.18.1.0", "198.18.1.1", "198.18.2.1", "2001:db8::1", "2001:db8::11", "203.0.113.5",
        "198.18.4.0", "198.18.7.255", "198.19.0.1", "198.19.200.7", "2001:db8:ffff::1", "2001:db8:ffff::ffff:ffff:ffff:ffff", "2001:db8:fff0:1::",
        "198.18.0.1,2001:db8::1", "198.19.0.1,2001:db8:ffff::1", "198.18.4.9,2001:db8:fff0::9", "198.19.0.1,2001:db8::11",
    ];

    public static readonly ImmutableDictionary<string, string> Prod = ImmutableDictionary<string, string>.Empty.Add("tier", "prod");

    private static readonly LabelSelector ProdNamespaces = new() { MatchLabels = Prod };

    private static readonly LabelSelector NotProdNamespaces =
        new() { MatchExpressions = [new LabelSelectorRequirement("tier", SelectorOperator.NotIn, ["prod"])] };

    private static readonly LabelSelector WebServices =
        new() { MatchLabels = ImmutableDictionary<string, string>.Empty.Add("role", "web") };

    private static readonly LabelSelector TeamXServices =
        new() { MatchExpressions = [new LabelSelectorRequirement("team", SelectorOperator.In, ["x"])] };

    private static readonly LabelSelector TeamlessServices =
        new() { MatchExpressions = [new LabelSelectorRequirement("team", SelectorOperator.DoesNotExist, [])] };

    private static readonly Gen<ServiceAllocation?> Allocation = Gen.Frequency(
        (6, Gen.Const((ServiceAllocation?)null)),
        (2, Gen.Int[0, 2].Select(p => (ServiceAllocation?)new ServiceAllocation { Priority = p })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { Priority = 1, Namespaces = ["a"] })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { NamespaceSelectors = [ProdNamespaces] })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { Priority = 2, Namespaces = ["b"], NamespaceSelectors = [NotProdNamespaces] })),
        (1, Gen.Int[0, 2].Select(p => (ServiceAllocation?)new ServiceAllocation { Priority = p, ServiceSelectors = [WebServices] })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { Priority = 1, ServiceSelectors = [TeamXServices, TeamlessServices] })),
        (1, Gen.Const<ServiceAllocation?>(new ServiceAllocation { NamespaceSelectors = [ProdNamespaces], ServiceSelectors = [TeamXServices] })));

    private const int PoolCount = 4;

    /// <summary>Up to four pools, each range of the menu in at most one of them.</summary>
    public static readonly Gen<ImmutableArray<AddressPool>> Pools =
        Gen.Select(Gen.Int[-1, PoolCount - 1].Array[Menu.Length], Gen.Bool.Array[PoolCount], Gen.Bool.Array[PoolCount], Allocation.Array[PoolCount], (owner, auto, buggy, alloc) =>
            Enumerable.Range(0, PoolCount)
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
        (IpFamilyPolicy.RequireDualStack, [IpFamily.IPv6, IpFamily.IPv4]),
        (IpFamilyPolicy.RequireDualStack, [IpFamily.IPv4, IpFamily.IPv6]));

    private static readonly ServicePort[] PortMenu =
    [
        new(80, TransportProtocol.TCP), new(80, TransportProtocol.UDP), new(443, TransportProtocol.TCP),
        new(8080, TransportProtocol.TCP), new(9, TransportProtocol.SCTP),
    ];

    public static readonly Gen<ServiceKey> Key =
        Gen.Select(Gen.OneOf("a", "b"), Gen.Int[0, 9], (ns, n) => new ServiceKey(ns, "s" + n));

    /// <summary>Service labels the service selectors look at: role (web or none) and team (x, y or none).</summary>
    private static readonly Gen<ImmutableDictionary<string, string>> Labels =
        Gen.Select(Gen.OneOf<string?>(null, "web"), Gen.OneOf<string?>(null, "x", "y"), (role, team) =>
        {
            var labels = ImmutableDictionary<string, string>.Empty;
            labels = role is null ? labels : labels.Add("role", role);
            return team is null ? labels : labels.Add("team", team);
        });

    /// <summary>What the Service asks for: nothing, an address or two (spec or annotation), or a pool.</summary>
    private static readonly Gen<string?> Request = Gen.Frequency(
        (6, Gen.Const((string?)null)),
        (2, Gen.OneOf<string?>(RequestableIps).Select(ips => ips!.Contains(',', StringComparison.Ordinal) ? "ips:" + ips : "spec:" + ips)),
        (1, Gen.OneOf<string?>(RequestableIps).Select(ips => (string?)("ips:" + ips))),
        (1, Gen.OneOf("p0", "p1", "p2", "p3", "nope").Select(p => (string?)("pool:" + p))));

    public static readonly Gen<LoadBalancerService> Service = Gen.Select(
        Key,
        Gen.Frequency((4, Gen.Const((string?)null)), (3, Gen.Const<string?>("k1")), (1, Gen.Const<string?>("k2"))),
        // Each port with probability 1/4: few ports per Service, so that keyed Services often can share.
        Gen.Int[0, 3].Array[PortMenu.Length],
        Gen.Select(Families, Gen.Int[0, 3], (families, fit) => (Policy: families.Item1, Families: families.Item2, FitRequest: fit > 0)),
        Request,
        Gen.Select(Gen.Int[0, 2], Gen.OneOf("x", "y"), (local, app) => (Local: local == 0, App: app)),
        Gen.Bool,
        Labels,
        (key, sharing, ports, families, request, backend, prodNamespace, labels) =>
        {
            var service = new LoadBalancerService(key)
            {
                Ports = [.. PortMenu.Where((_, i) => ports[i] == 0)],
                IpFamilyPolicy = families.Policy,
                IpFamilies = families.Families,
                ExternalTrafficPolicy = backend.Local ? ExternalTrafficPolicy.Local : ExternalTrafficPolicy.Cluster,
                Selector = ImmutableDictionary<string, string>.Empty.Add("app", backend.App),
                NamespaceLabels = prodNamespace ? Prod : ImmutableDictionary<string, string>.Empty,
                Labels = labels,
            };
            if (sharing is not null)
            {
                service = service.Shared(sharing);
            }
            service = request?.Split(':', 2) switch
            {
                ["pool", var pool] => service.InPool(pool),
                ["spec", var ip] => service with { LoadBalancerIP = ip },
                ["ips", var ips] => service.Ips(ips),
                _ => service,
            };
            // Mostly, families that fit the requested addresses (else nearly every request is a FamilyMismatch).
            return families.FitRequest && request is not null && !request.StartsWith("pool:", StringComparison.Ordinal)
                ? FitFamilies(service, [.. request[(request.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',').Select(a => IpAddress.Parse(a).Family)])
                : service;
        });

    private static LoadBalancerService FitFamilies(LoadBalancerService service, IpFamily[] requested) => requested switch
    {
        [var only] when service.IpFamilyPolicy == IpFamilyPolicy.SingleStack => service with { IpFamilies = [only] },
        [var only] when !service.IpFamilies.Contains(only) => service with { IpFamilyPolicy = IpFamilyPolicy.SingleStack, IpFamilies = [only] },
        [var only] when service.IpFamilyPolicy == IpFamilyPolicy.RequireDualStack => service with { IpFamilyPolicy = IpFamilyPolicy.PreferDualStack },
        [_, _] when service.IpFamilyPolicy == IpFamilyPolicy.SingleStack =>
            service with { IpFamilyPolicy = IpFamilyPolicy.RequireDualStack, IpFamilies = [.. requested] },
        _ => service,
    };

    public static readonly Gen<Step> Step = Gen.Frequency(
        (12, Service.Select(s => (Step)new EnsureStep(s))),
        (3, Key.Select(k => (Step)new ReleaseStep(k))),
        (2, Pools.Select(p => (Step)new PoolsStep(p))),
        (2, Gen.Const((Step)new RestartStep())));

    /// <summary>A history: the options (one in four shares across namespaces), the first pools, then steps.</summary>
    public static readonly Gen<(AllocatorOptions Options, PoolsStep Pools, Step[] Steps)> History =
        Gen.Select(Gen.Int[0, 3], Pools, Step.Array[1, 60], (across, p, s) =>
            (new AllocatorOptions { AllowSharingAcrossNamespaces = across == 0 }, new PoolsStep(p), s));

    public static string Describe(ImmutableArray<AddressPool> pools) => string.Join(" | ", pools.Select(p =>
        $"{p.Name}[{string.Join(",", p.Addresses)}] auto={p.AutoAssign} buggy={p.AvoidBuggyIPs} prio={p.ServiceAllocation?.Priority}"
        + $" ns={string.Join(",", p.ServiceAllocation?.Namespaces ?? [])} nssel={p.ServiceAllocation?.NamespaceSelectors.Length} svcsel={p.ServiceAllocation?.ServiceSelectors.Length}"));
}
