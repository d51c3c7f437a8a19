using System.Collections.Immutable;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// The objects of one kind as last seen by its watch, by namespace/name. Written by the watch, read by
/// whoever builds a configuration from it; <see cref="Changed"/> fires after every change (outside the lock).
/// For a kind whose status is our output (<see cref="ResourceType.StatusIsOutput"/>), a new version that differs
/// only in its status is stored without counting as a change: the controller's own status writes (pool usage,
/// conditions) must not make it, or every speaker, build the configuration again.
/// </summary>
public sealed class ResourceStore(ResourceType type)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClusterObject> _objects = new(StringComparer.Ordinal);

    // Per key, the digest of what the object asks for (JsonDigest.OfInput), for kinds whose status is ours.
    private readonly Dictionary<string, string> _inputs = new(StringComparer.Ordinal);
    private long _version;

    public ResourceType Type { get; } = type;

    /// <summary>Raised after an object was added, changed or removed, or after a relist.</summary>
    public event Action<ResourceStore>? Changed;

    /// <summary>Raised after <see cref="Upsert"/> stored an object (before <see cref="Changed"/>, if that is raised), with it: for a reader that follows objects one by one.</summary>
    public event Action<ClusterObject>? Stored;

    /// <summary>Counts every change, so a reader can tell whether anything happened since it last looked.</summary>
    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>Whether the first list has been stored: before that, an empty store means "not known yet", not "none".</summary>
    public bool Synced { get; private set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    public ImmutableArray<ClusterObject> Objects()
    {
        lock (_lock)
        {
            return [.. _objects.Values];
        }
    }

    public ClusterObject? Get(string ns, string name)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(ns + "/" + name);
        }
    }

    /// <summary>Takes a whole list (the first, or one after 410 Gone): what it lacks was deleted meanwhile.</summary>
    public void Replace(IEnumerable<ClusterObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var items = objects.Select(o => (Item: o, Input: InputOf(o))).ToList();
        lock (_lock)
        {
            _objects.Clear();
            _inputs.Clear();
            foreach (var (item, input) in items)
            {
                _objects[item.Key] = item;
                if (input is not null)
                {
                    _inputs[item.Key] = input;
                }
            }
            _version++;
            Synced = true;
        }
        Changed?.Invoke(this);
    }

    /// <summary>
    /// Stores an added or modified object, unless the store holds a newer one of the same key (a status
    /// write's answer can be stored before the watch delivers an older event of the object).
    /// </summary>
    public void Upsert(ClusterObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var input = InputOf(item);
        bool statusOnly;
        lock (_lock)
        {
            if (_objects.TryGetValue(item.Key, out var held) && (item.IsOlderThan(held) || held.ResourceVersion == item.ResourceVersion))
            {
                return;
            }
            _objects[item.Key] = item;
            // Its status alone changed: stored (the next status comparison sees it), not a change.
            statusOnly = input is not null && _inputs.TryGetValue(item.Key, out var was) && was == input;
            if (!statusOnly)
            {
                if (input is not null)
                {
                    _inputs[item.Key] = input;
                }
                _version++;
            }
        }
        Stored?.Invoke(item);
        if (!statusOnly)
        {
            Changed?.Invoke(this);
        }
    }

    public void Delete(ClusterObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            if (!_objects.Remove(item.Key))
            {
                return;
            }
            _inputs.Remove(item.Key);
            _version++;
        }
        Changed?.Invoke(this);
    }

    private string? InputOf(ClusterObject item) => Type.StatusIsOutput ? JsonDigest.OfInput(item.Json) : null;
}
