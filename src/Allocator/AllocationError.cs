using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace BgpLb.Allocator;

/// <summary>
/// A failure as a value: <see cref="Kind"/> says what went wrong, the typed fields say with what,
/// and <see cref="Message"/> says it in a sentence for events and logs. Only the fields that the kind
/// needs are set.
/// </summary>
public sealed record AllocationError(AllocationErrorKind Kind)
{
    public string? Pool { get; init; }

    public IpAddress? Address { get; init; }

    public IpFamily? Family { get; init; }

    /// <summary>Usable addresses of <see cref="Family"/> in <see cref="Pool"/>, for <see cref="AllocationErrorKind.PoolExhausted"/>.</summary>
    public UInt128? PoolSize { get; init; }

    /// <summary>The other Service involved: the holder of the address or of the port.</summary>
    public ServiceKey? Holder { get; init; }

    public ServicePort? Port { get; init; }

    /// <summary>The other Service's key, for <see cref="AllocationErrorKind.SharingKeyMismatch"/>.</summary>
    public string? HolderSharingKey { get; init; }

    /// <summary>This Service's key.</summary>
    public string? SharingKey { get; init; }

    /// <summary>The field or annotation at fault, for <see cref="AllocationErrorKind.InvalidRequest"/> and pool errors.</summary>
    public string? Field { get; init; }

    /// <summary>Free text completing the sentence: the rejected value, the reason a pool is not eligible.</summary>
    public string? Detail { get; init; }

    /// <summary>One error per pool tried, for <see cref="AllocationErrorKind.NoAddressAvailable"/>.</summary>
    public ImmutableArray<AllocationError> Causes { get; init; } = [];

    public string Message => Kind switch
    {
        AllocationErrorKind.PoolExhausted =>
            $"no available IPs in pool \"{Pool}\" for {Family}: all {Count(PoolSize)} addresses are in use",
        AllocationErrorKind.NoAddressAvailable =>
            "no available IPs: " + string.Join("; ", Causes.Select(c => c.Message)),
        AllocationErrorKind.NoEligiblePool =>
            $"no available IPs: no address pool is eligible ({Detail})",
        AllocationErrorKind.AddressNotInAnyPool =>
            $"\"{Address}\" is not allowed in config: it is in no address pool",
        AllocationErrorKind.AddressAvoided =>
            $"\"{Address}\" is not allowed in config: pool \"{Pool}\" has avoidBuggyIPs, which excludes addresses ending in .0 and .255",
        AllocationErrorKind.AddressInUse =>
            $"address {Address} is already in use by {Holder}, and {Detail}",
        AllocationErrorKind.SharingKeyMismatch =>
            $"sharing key \"{SharingKey}\" does not match the sharing key \"{HolderSharingKey}\" of {Holder} on {Address}",
        AllocationErrorKind.SharingBackendMismatch =>
            $"address {Address} is shared with {Holder}, which selects different pods while one of them has externalTrafficPolicy Local",
        AllocationErrorKind.SharingAcrossNamespaces =>
            $"address {Address} is used by {Holder} in another namespace, and sharing across namespaces is not allowed",
        AllocationErrorKind.PortConflict =>
            $"port {Port} is already in use on {Address} by {Holder}",
        AllocationErrorKind.FamilyNotAvailable => Pool is null
            ? $"no address pool has {Family} addresses ({Detail})"
            : $"pool \"{Pool}\" has no {Family} addresses",
        AllocationErrorKind.PoolNotEligible =>
            $"pool \"{Pool}\" is not eligible for this service: {Detail}",
        AllocationErrorKind.UnknownPool =>
            $"unknown pool \"{Pool}\"",
        AllocationErrorKind.RequestedPoolMismatch =>
            $"requested loadBalancer IP {Address} is in pool \"{Detail}\", not in the requested address pool \"{Pool}\"",
        AllocationErrorKind.FamilyMismatch =>
            $"requested loadBalancer IP(s) \"{Detail}\" do not match the ipFamilies and ipFamilyPolicy of the service",
        AllocationErrorKind.RequestChanged =>
            $"the service now requests {Detail}",
        AllocationErrorKind.InvalidRequest =>
            $"invalid {Field}: {Detail}",
        AllocationErrorKind.InvalidPools =>
            $"invalid address pools: {Detail}",
        _ => Kind.ToString(),
    };

    public override string ToString() => Message;

    private static string Count(UInt128? size) => size?.ToString("N0", CultureInfo.InvariantCulture) ?? "?";

    // Records print every property by default; the message is what a reader wants.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Kind = ").Append(Kind).Append(", Message = ").Append(Message);
        return true;
    }
}
