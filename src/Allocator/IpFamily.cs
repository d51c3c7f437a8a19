namespace BgpLb.Allocator;

/// <summary>An address family, as Kubernetes names it in <c>spec.ipFamilies</c>.</summary>
public enum IpFamily : byte
{
    IPv4 = 4,
    IPv6 = 6,
}
