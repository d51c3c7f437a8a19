namespace BgpLb.Allocator;

/// <summary>
/// Annotation keys read on a Service. Ours first, then MetalLB's current and deprecated prefixes, so a
/// MetalLB manifest runs unchanged; when several are set, the first in that order wins.
/// </summary>
public static class Annotations
{
    public const string Prefix = "bgplb.io/";
    public const string MetalLbPrefix = "metallb.io/";
    public const string MetalLbDeprecatedPrefix = "metallb.universe.tf/";

    /// <summary>Comma-separated addresses, at most one per family.</summary>
    public const string LoadBalancerIPs = "loadBalancerIPs";

    /// <summary>The pool to allocate from.</summary>
    public const string AddressPool = "address-pool";

    /// <summary>The sharing key: Services with the same key may share an address.</summary>
    public const string AllowSharedIP = "allow-shared-ip";

    internal static readonly string[] LoadBalancerIPsKeys = Keys(LoadBalancerIPs);
    internal static readonly string[] AddressPoolKeys = Keys(AddressPool);
    internal static readonly string[] AllowSharedIPKeys = Keys(AllowSharedIP);

    /// <summary>The value under the first of <paramref name="keys"/> present, and that key.</summary>
    internal static bool TryGet(IReadOnlyDictionary<string, string> annotations, string[] keys, out string value, out string key)
    {
        foreach (var candidate in keys)
        {
            if (annotations.TryGetValue(candidate, out var found))
            {
                value = found;
                key = candidate;
                return true;
            }
        }
        value = "";
        key = keys[0];
        return false;
    }

    private static string[] Keys(string name) => [Prefix + name, MetalLbPrefix + name, MetalLbDeprecatedPrefix + name];
}
