using System.Text.Json;

namespace BgpLb.Daemon.Cluster;

/// <summary>One object as the API server last sent it: its identity, its resourceVersion and its JSON.</summary>
public sealed record ClusterObject(ResourceType Type, string Namespace, string Name, string ResourceVersion, string Uid, JsonElement Json)
{
    /// <summary>"Kind namespace/name" (or "Kind name"): how diagnostics, logs and Events name it, as the loader names a document's subject.</summary>
    public string Subject => Type.Kind + " " + (Namespace.Length > 0 ? Namespace + "/" : "") + Name;

    /// <summary>The store's key: namespace/name.</summary>
    public string Key => Namespace + "/" + Name;

    /// <summary>Reads identity and resourceVersion from <paramref name="json"/> (an object of <paramref name="type"/>, cloned so it outlives its document).</summary>
    public static ClusterObject From(ResourceType type, JsonElement json)
    {
        var metadata = json.GetProperty("metadata");
        return new ClusterObject(type,
            metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() ?? "" : "",
            metadata.GetProperty("name").GetString() ?? "",
            metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "",
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            json.Clone());
    }

    /// <summary>
    /// Whether this object is older than <paramref name="other"/> of the same key. resourceVersion is opaque
    /// by contract (API concepts, "Resource versions"); every server we know numbers it from etcd's revision,
    /// so it is compared as a number when both are numbers, and otherwise never called older.
    /// </summary>
    public bool IsOlderThan(ClusterObject other) =>
        ulong.TryParse(ResourceVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mine)
        && ulong.TryParse(other.ResourceVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var theirs)
        && mine < theirs;
}
