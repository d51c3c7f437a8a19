using System.Collections.Immutable;

namespace BgpLb.Allocator.Tests.Support;

/// <summary>Short builders so a test reads as the rule it checks.</summary>
internal static class Make
{
    public static AddressPool Pool(string name, params string[] addresses) =>
        new(name, [.. addresses.Select(AddressRange.Parse)]);

    public static LoadBalancerService Svc(string ns, string name) => new(new ServiceKey(ns, name));

    public static LoadBalancerService Svc(string name) => Svc("default", name);

    public static LoadBalancerService With(this LoadBalancerService s, string annotation, string value) =>
        s with { Annotations = s.Annotations.SetItem(annotation, value) };

    public static LoadBalancerService Shared(this LoadBalancerService s, string key) => s.With("bgplb.io/allow-shared-ip", key);

    public static LoadBalancerService Ips(this LoadBalancerService s, string ips) => s.With("bgplb.io/loadBalancerIPs", ips);

    public static LoadBalancerService InPool(this LoadBalancerService s, string pool) => s.With("bgplb.io/address-pool", pool);

    public static LoadBalancerService Ports(this LoadBalancerService s, params (int Port, TransportProtocol Protocol)[] ports) =>
        s with { Ports = [.. ports.Select(p => new ServicePort(p.Port, p.Protocol))] };

    public static LoadBalancerService Tcp(this LoadBalancerService s, params int[] ports) =>
        s with { Ports = [.. ports.Select(p => new ServicePort(p, TransportProtocol.TCP))] };

    public static LoadBalancerService Dual(this LoadBalancerService s, IpFamilyPolicy policy, params IpFamily[] families) =>
        s with { IpFamilyPolicy = policy, IpFamilies = [.. families] };

    public static LoadBalancerService Labels(this LoadBalancerService s, params (string Key, string Value)[] labels) =>
        s with { Labels = labels.ToImmutableDictionary(l => l.Key, l => l.Value) };

    public static LoadBalancerService Local(this LoadBalancerService s, params (string Key, string Value)[] selector) =>
        s with { ExternalTrafficPolicy = ExternalTrafficPolicy.Local, Selector = selector.ToImmutableDictionary(l => l.Key, l => l.Value) };

    public static IpAllocator NewAllocator(params AddressPool[] pools) => NewAllocator(new AllocatorOptions(), pools);

    public static IpAllocator NewAllocator(AllocatorOptions options, params AddressPool[] pools)
    {
        var allocator = new IpAllocator(options);
        var update = allocator.SetPools(pools);
        if (!update.Accepted)
        {
            throw new InvalidOperationException(update.Error!.Message);
        }
        return allocator;
    }

    /// <summary>The addresses of a result as text, "a,b", or "" for none.</summary>
    public static string Ips(this AllocationResult r) =>
        r.Assignment is { } a ? string.Join(",", a.Addresses) : "";

    public static IpAddress Ip(string text) => IpAddress.Parse(text);
}
