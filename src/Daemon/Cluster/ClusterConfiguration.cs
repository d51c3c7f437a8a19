using System.Collections.Immutable;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Turns the watched objects into a <see cref="ConfigSnapshot"/> with the loader that reads the YAML files
/// (<see cref="ConfigLoader.LoadObjects"/>), so an object gets the errors a file holding it would, its
/// "Kind namespace/name" standing where file and line would. A refused object never replaces what was
/// good: the load is done again with that object's last good version (or without it, if it never was
/// good), and if the set is still refused the last good snapshot stays. Loads go through one
/// <see cref="ConfigCache"/>, so an object is read again only when its resourceVersion is new, and a result
/// says which Services changed since the last good snapshot. Not thread-safe: one owner.
/// </summary>
public sealed class ClusterConfiguration
{
    private readonly ConfigCache _cache = new();
    private Dictionary<string, SourcedObject> _lastGood = new(StringComparer.Ordinal);

    /// <summary>The last snapshot built (null until one was).</summary>
    public ConfigSnapshot? LastGood { get; private set; }

    /// <summary>Objects the last build took over from the one before instead of reading them again.</summary>
    public int LastReused => _cache.LastHits;

    /// <summary>Objects the last build was given.</summary>
    public int LastObjects { get; private set; }

    /// <summary>Whether a version of the object named <paramref name="subject"/> ("Kind namespace/name") is in the last good snapshot.</summary>
    public bool InForce(string subject) => _lastGood.ContainsKey(subject);

    /// <summary>Builds a snapshot from every object of <paramref name="stores"/>.</summary>
    public ClusterConfigResult Build(IEnumerable<ResourceStore> stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        var objects = stores.SelectMany(s => s.Objects()).ToList();
        LastObjects = objects.Count;
        var sourced = objects.Select(o => new SourcedObject(o.Subject, o.ResourceVersion, o.Type.ApiVersion, o.Type.Kind, o.Json)).ToList();
        var first = ConfigLoader.LoadObjects(sourced, _cache);
        if (first.Snapshot is { } snapshot)
        {
            _lastGood = sourced.ToDictionary(d => d.Source, StringComparer.Ordinal);
            LastGood = snapshot;
            return new ClusterConfigResult(snapshot, first.Diagnostics, [], KeptLastGood: false) { Changes = first.Changes };
        }
        var refused = first.Errors.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        var retry = new List<SourcedObject>(sourced.Count);
        foreach (var item in sourced)
        {
            if (!refused.Contains(item.Source))
            {
                retry.Add(item);
            }
            else if (_lastGood.TryGetValue(item.Source, out var good))
            {
                retry.Add(good);
            }
        }
        var second = ConfigLoader.LoadObjects(retry, _cache);
        var refusedObjects = objects.Where(o => refused.Contains(o.Subject)).ToImmutableArray();
        if (second.Snapshot is { } partial)
        {
            _lastGood = retry.ToDictionary(d => d.Source, StringComparer.Ordinal);
            LastGood = partial;
            return new ClusterConfigResult(partial, first.Diagnostics, refusedObjects, KeptLastGood: false) { Changes = second.Changes };
        }
        return new ClusterConfigResult(LastGood, first.Diagnostics, refusedObjects, KeptLastGood: true);
    }

    /// <summary>
    /// A diagnostic about an API object in one line: the object, the field, the finding. (Its "file" is
    /// the object's subject too, and a document of JSON has one line, so neither is repeated.)
    /// </summary>
    public static string Describe(Diagnostic diagnostic)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        var subject = diagnostic.Subject.Length > 0 ? diagnostic.Subject : diagnostic.File;
        var field = diagnostic.Path.Length > 0 ? " " + diagnostic.Path + ":" : "";
        return $"{diagnostic.Severity.ToString().ToLowerInvariant()}: {subject}:{field} {diagnostic.Message}";
    }
}
