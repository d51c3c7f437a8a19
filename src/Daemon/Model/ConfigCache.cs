using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>
/// What a reload may take over from the previous load: the objects read from a file that has not
/// changed since (same length and modification time), for files that hold only the kinds that come
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

    internal bool TryGet(string file, FileStamp stamp, out CachedFile cached) =>
        _files.TryGetValue(file, out cached!) && cached.Stamp == stamp;

    internal void Set(string file, CachedFile cached) => _files[file] = cached;

    /// <summary>Forgets files the last load no longer had.</summary>
    internal void Keep(IReadOnlyCollection<string> files)
    {
        foreach (var gone in _files.Keys.Where(f => !files.Contains(f)).ToList())
        {
            _files.Remove(gone);
        }
    }
}

internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static FileStamp Of(string file)
    {
        var info = new FileInfo(file);
        return new FileStamp(info.Length, info.LastWriteTimeUtc);
    }
}

internal sealed record CachedFile(
    FileStamp Stamp,
    ImmutableArray<Diagnostic> Diagnostics,
    ImmutableArray<Placed<Allocator.LoadBalancerService>> Services,
    ImmutableArray<Placed<NodeConfig>> Nodes,
    ImmutableArray<Placed<LabelledObject>> Namespaces,
    ImmutableArray<Placed<SecretConfig>> Secrets,
    ImmutableArray<Placed<EndpointSliceConfig>> EndpointSlices);
