using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>The outcome of loading a configuration: a snapshot when there is no error, and every finding either way.</summary>
public sealed record ConfigLoadResult(ConfigSnapshot? Snapshot, ImmutableArray<Diagnostic> Diagnostics, int Files)
{
    /// <summary>With a snapshot loaded through a <see cref="ConfigCache"/> that saw a good load before: what changed since that one.</summary>
    public ConfigChanges? Changes { get; init; }

    public bool IsValid => Snapshot is not null;

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == Severity.Error);
}
