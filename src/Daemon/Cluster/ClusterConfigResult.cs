using System.Collections.Immutable;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// What <see cref="ClusterConfiguration.Build"/> made: the snapshot to use (null: none was ever good),
/// every finding of the objects as they are, and the objects refused (kept at their last good version).
/// </summary>
/// <param name="KeptLastGood">Even without the refused objects the set was refused (a check across objects): <see cref="Snapshot"/> is the last good one.</param>
public sealed record ClusterConfigResult(ConfigSnapshot? Snapshot, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<ClusterObject> Refused, bool KeptLastGood)
{
    /// <summary>
    /// How <see cref="Snapshot"/> differs from the snapshot of the build before that gave one (its <see cref="ConfigChanges.Base"/>);
    /// null when that cannot be told (the first build, Namespaces changed, the last good snapshot kept).
    /// </summary>
    public ConfigChanges? Changes { get; init; }
}
