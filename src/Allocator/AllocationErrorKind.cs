namespace BgpLb.Allocator;

/// <summary>Why a Service has no (or lost its) address; every failure is one of these, never only text.</summary>
public enum AllocationErrorKind
{
    /// <summary>The pool has no free address of the family (names pool, family, size).</summary>
    PoolExhausted,

    /// <summary>Several pools were tried and none could serve; <see cref="AllocationError.Causes"/> has one entry per pool.</summary>
    NoAddressAvailable,

    /// <summary>No pool may serve this Service at all (none auto-assigns, or none selects it).</summary>
    NoEligiblePool,

    /// <summary>A requested (or restored) address lies in no pool.</summary>
    AddressNotInAnyPool,

    /// <summary>The address is held by another Service and one of the two does not allow sharing.</summary>
    AddressInUse,

    /// <summary>The address is shared under a different <c>allow-shared-ip</c> key.</summary>
    SharingKeyMismatch,

    /// <summary>Same key, but one of them has externalTrafficPolicy Local and they select different pods.</summary>
    SharingBackendMismatch,

    /// <summary>Same key, different namespaces, and sharing across namespaces is off.</summary>
    SharingAcrossNamespaces,

    /// <summary>The port and protocol are already used on the address by the Service named.</summary>
    PortConflict,

    /// <summary>The pool (or every pool) has no range of a family the Service needs.</summary>
    FamilyNotAvailable,

    /// <summary>The pool's serviceAllocation does not select this Service or its namespace.</summary>
    PoolNotEligible,

    /// <summary>The requested pool does not exist.</summary>
    UnknownPool,

    /// <summary>The requested address is in another pool than the requested pool.</summary>
    RequestedPoolMismatch,

    /// <summary>The requested addresses do not match the Service's IP families and policy.</summary>
    FamilyMismatch,

    /// <summary>The Service now asks for other addresses, another pool or other families than it holds.</summary>
    RequestChanged,

    /// <summary>An annotation or field cannot be read (names the field and the value).</summary>
    InvalidRequest,

    /// <summary>Pools given to <see cref="IpAllocator.SetPools"/> are inconsistent (duplicate name, overlapping ranges).</summary>
    InvalidPools,

    /// <summary>A requested (or restored) address lies in a pool whose avoidBuggyIPs excludes it (.0 or .255).</summary>
    AddressAvoided,
}
