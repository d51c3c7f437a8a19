using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>
/// What a reload may take over from the previous load: the objects read from a file that has not
/// changed since (same length and modification time), or from an API object of the same
/// resourceVersion (<see cref="ConfigLoader.LoadObjects"/>), for sources that hold only the kinds that come
/// by the thousand (Services, EndpointSlices, Nodes, Namespaces, Secrets). Those keep no YAML and are
/// judged across files only in <c>Finish</c>, which runs on every load, so taking them over is the
/// same as reading them again. A file with any other kind is always read again: its objects keep
/// their document for the checks across objects. Not thread-safe: one loader at a time.
/// </summary>
public sealed class ConfigCache
{
    private readonly Dictionary<string, CachedFile> _files = new(StringComparer.Ordinal);

    /// <summary>Files whose objects were taken over by the last load (for logs and tests).</summary>
    public int LastHits { get; internal set; }

    internal bool TryGet(string file, SourceStamp stamp, out CachedFile cached) =>
        _files.TryGetValue(file, out cached!) && cached.Stamp == stamp;

    internal void Set(string file, CachedFile cached) => _files[file] = cached;

    /// <summary>The last load that gave a snapshot, file by file: what the next load's <see cref="ConfigChanges"/> are counted from.</summary>
    internal LoadedFiles? LastGood { get; set; }

    /// <summary>
    /// The files that differ (by stamp, or by being new or gone) between the last good load and one
    /// with <paramref name="now"/>; null when there was no good load or a changed file holds Namespaces
    /// (their labels are joined into every Service of the namespace, so the whole set is new).
    /// </summary>
    internal FileDiff? Diff(IReadOnlyDictionary<string, FileRecord> now)
    {
        if (LastGood is not { } last)
        {
            return null;
        }
        var changed = new List<(FileRecord? Old, FileRecord? New)>();
        foreach (var (file, record) in now)
        {
            if (!last.Files.TryGetValue(file, out var old) || old.Stamp != record.Stamp)
            {
                changed.Add((old, record));
            }
        }
        foreach (var (file, old) in last.Files)
        {
            if (!now.ContainsKey(file))
            {
                changed.Add((old, null));
            }
        }
        return changed.Any(c => c.Old?.HasNamespaces == true || c.New?.HasNamespaces == true) ? null : new FileDiff(last.Snapshot, changed);
    }

    /// <summary>Forgets files the last load no longer had.</summary>
    internal void Keep(IReadOnlyCollection<string> files)
    {
        // A set: a load of 10,000 API objects is 10,000 sources.
        var kept = files as IReadOnlySet<string> ?? files.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _files.Keys.Where(f => !kept.Contains(f)).ToList())
        {
            _files.Remove(gone);
        }
    }
}

/// <summary>What says a source is unchanged since it was read: a file's length and modification time, or an API object's resourceVersion.</summary>
internal readonly record struct SourceStamp(long Length, DateTime LastWriteUtc, string? Version)
{
    public static SourceStamp Of(string file)
    {
        var info = new FileInfo(file);
        return new SourceStamp(info.Length, info.LastWriteTimeUtc, null);
    }

    /// <summary>An API object's: its resourceVersion changes with every write of it (API concepts, "Resource versions").</summary>
    public static SourceStamp OfVersion(string resourceVersion) => new(0, default, resourceVersion);
}

/// <param name="ServiceFile">Where the Services of <see cref="FileRecord.Services"/> were read (one source: one file name).</param>
/// <param name="ServiceLines">The line of each of <see cref="FileRecord.Services"/>, in its order: the Services themselves are
/// the record's, not a second array of them (2.4 MB at 100,000, kept between reloads).</param>
internal sealed record CachedFile(
    SourceStamp Stamp,
    FileRecord Record,
    ImmutableArray<Diagnostic> Diagnostics,
    string ServiceFile,
    ImmutableArray<int> ServiceLines,
    ImmutableArray<Placed<NodeConfig>> Nodes,
    ImmutableArray<Placed<LabelledObject>> Namespaces,
    ImmutableArray<Placed<SecretConfig>> Secrets,
    ImmutableArray<Placed<EndpointSliceConfig>> EndpointSlices);

/// <summary>What one file of a load held: its Services, and whether it held anything else.</summary>
internal sealed record FileRecord(SourceStamp Stamp, ImmutableArray<Allocator.LoadBalancerService> Services, bool OnlyServices, bool HasNamespaces);

internal sealed record LoadedFiles(ConfigSnapshot Snapshot, IReadOnlyDictionary<string, FileRecord> Files);

/// <summary>The files changed since the load that gave <see cref="Base"/>, each as it was (null: new) and is (null: gone).</summary>
internal sealed record FileDiff(ConfigSnapshot Base, IReadOnlyList<(FileRecord? Old, FileRecord? New)> Changed)
{
    /// <summary>No changed file held or holds a Service: the Services are those of <see cref="Base"/>.</summary>
    public bool ServicesUntouched => Changed.All(c => (c.Old?.Services.IsEmpty ?? true) && (c.New?.Services.IsEmpty ?? true));

    /// <summary>Every changed file held and holds Services only: pools, peers, advertisements, nodes and endpoints are those of <see cref="Base"/>.</summary>
    public bool OnlyServices => Changed.All(c => (c.Old?.OnlyServices ?? true) && (c.New?.OnlyServices ?? true));
}
