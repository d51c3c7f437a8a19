using System.Collections.Immutable;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// Where a <see cref="DaemonHost"/> takes its configuration and the Services' addresses from when they are
/// decided elsewhere (<c>bgplb speaker</c>: the cluster's objects, the controller's Service status). Without
/// one (<c>bgplb run</c>) the host reads its files, allocates and keeps a state file. The engines (BGP, BFD,
/// L2, drain) are the same either way.
/// </summary>
public interface ISnapshotSource
{
    /// <summary>What the configuration is read from, for the log and the admin API's GetConfig.</summary>
    string Description { get; }

    /// <summary>The configuration as it is now (on a reload request): a snapshot, or the errors that refuse it.</summary>
    ConfigLoadResult Load();

    /// <summary>The addresses each Service of <paramref name="snapshot"/> holds, as decided elsewhere: nothing is allocated or saved.</summary>
    GivenAssignments Assign(ConfigSnapshot snapshot);
}

/// <summary>What an <see cref="ISnapshotSource"/> says the Services hold.</summary>
/// <param name="Assignments">In Service order, each with the pool its addresses are in.</param>
/// <param name="Unassigned">Services with addresses that are not announced, each with why (an address in no pool, …).</param>
/// <param name="Pools">Usage of each pool by <paramref name="Assignments"/>.</param>
public sealed record GivenAssignments(ImmutableArray<Assignment> Assignments, ImmutableArray<UnassignedService> Unassigned, ImmutableArray<PoolStatus> Pools);

/// <summary>A Service whose addresses (as its status says them) are not announced, and why.</summary>
public sealed record UnassignedService(ServiceKey Service, ImmutableArray<IpAddress> Addresses, string Reason);
