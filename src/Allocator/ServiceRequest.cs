using System.Collections.Immutable;
using System.Text;

namespace BgpLb.Allocator;

/// <summary>
/// What a Service asks for, read from its spec and annotations once per call: families, requested
/// addresses and pool, and the two keys that decide sharing.
/// </summary>
internal readonly record struct ServiceRequest(
    ImmutableArray<IpFamily> Families,
    bool DualStackRequired,
    ImmutableArray<IpAddress> RequestedAddresses,
    string? RequestedPool,
    string? SharingKey,
    string? BackendKey)
{
    // Shared, so that reading a single-stack request allocates nothing.
    private static readonly ImmutableArray<IpFamily> V4Only = [IpFamily.IPv4];
    private static readonly ImmutableArray<IpFamily> V6Only = [IpFamily.IPv6];

    /// <summary>Whether a dual-stack Service would like the other family too.</summary>
    public bool PrefersDualStack => Families.Length == 2 && !DualStackRequired;

    public static bool TryRead(LoadBalancerService service, out ServiceRequest request, out AllocationError? error)
    {
        request = default;
        error = null;
        var declared = service.IpFamilies.IsDefaultOrEmpty ? V4Only : service.IpFamilies;
        if (declared.Length > 2 || (declared.Length == 2 && declared[0] == declared[1]))
        {
            error = Invalid("spec.ipFamilies", $"\"{string.Join(",", declared)}\": at most one entry per family");
            return false;
        }
        var families = service.IpFamilyPolicy != IpFamilyPolicy.SingleStack ? declared
            : declared[0] == IpFamily.IPv4 ? V4Only : V6Only;
        if (service.IpFamilyPolicy == IpFamilyPolicy.RequireDualStack && families.Length < 2)
        {
            error = Invalid("spec.ipFamilies", $"\"{string.Join(",", declared)}\": RequireDualStack needs both families");
            return false;
        }
        if (!TryReadAddresses(service, families, out var requested, out error))
        {
            return false;
        }
        string? pool = Annotations.TryGet(service.Annotations, Annotations.AddressPoolKeys, out var p, out _) && p.Length > 0 ? p : null;
        request = new ServiceRequest(
            families,
            service.IpFamilyPolicy == IpFamilyPolicy.RequireDualStack,
            requested,
            pool,
            SharingKeyOf(service),
            BackendKeyOf(service));
        return true;
    }

    /// <summary>The allow-shared-ip key; an empty value means "no sharing", as in MetalLB.</summary>
    public static string? SharingKeyOf(LoadBalancerService service) =>
        Annotations.TryGet(service.Annotations, Annotations.AllowSharedIPKeys, out var k, out _) && k.Length > 0 ? k : null;

    /// <summary>
    /// With externalTrafficPolicy Local traffic only reaches pods on the announcing node, so Services that
    /// share an address must select the same pods (MetalLB's backend key); with Cluster any pods will do.
    /// </summary>
    public static string? BackendKeyOf(LoadBalancerService service)
    {
        if (service.ExternalTrafficPolicy != ExternalTrafficPolicy.Local)
        {
            return null;
        }
        var text = new StringBuilder();
        foreach (var (key, value) in service.Selector.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(text.Length == 0 ? "" : ",").Append(key).Append('=').Append(value);
        }
        return text.ToString();
    }

    private static bool TryReadAddresses(LoadBalancerService service, ImmutableArray<IpFamily> families, out ImmutableArray<IpAddress> addresses, out AllocationError? error)
    {
        addresses = [];
        error = null;
        var hasAnnotation = Annotations.TryGet(service.Annotations, Annotations.LoadBalancerIPsKeys, out var list, out var key) && list.Length > 0;
        var hasSpec = !string.IsNullOrEmpty(service.LoadBalancerIP);
        if (hasAnnotation && hasSpec)
        {
            error = Invalid(key, $"service can not have both {key} and spec.loadBalancerIP");
            return false;
        }
        if (!hasAnnotation && !hasSpec)
        {
            return true;
        }
        var field = hasAnnotation ? key : "spec.loadBalancerIP";
        var text = hasAnnotation ? list : service.LoadBalancerIP!;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var parsed = ImmutableArray.CreateBuilder<IpAddress>(parts.Length);
        foreach (var part in parts)
        {
            if (!IpAddress.TryParse(part, out var a))
            {
                error = Invalid(field, $"\"{part}\" is not an IP address");
                return false;
            }
            parsed.Add(a);
        }
        if (parsed.Count > 2 || (parsed.Count == 2 && parsed[0].Family == parsed[1].Family))
        {
            error = Invalid(field, $"\"{text}\": at most one address per family");
            return false;
        }
        // SingleStack and RequireDualStack want exactly their families; PreferDualStack takes one or both.
        var wanted = families.Length == 2 && service.IpFamilyPolicy == IpFamilyPolicy.PreferDualStack
            ? parsed.All(a => families.Contains(a.Family))
            : parsed.Count == families.Length && families.All(f => parsed.Any(a => a.Family == f));
        if (!wanted)
        {
            error = new AllocationError(AllocationErrorKind.FamilyMismatch) { Field = field, Detail = text };
            return false;
        }
        addresses = parsed.MoveToImmutable();
        return true;
    }

    private static AllocationError Invalid(string field, string detail) =>
        new(AllocationErrorKind.InvalidRequest) { Field = field, Detail = detail };
}
