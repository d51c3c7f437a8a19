using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

/// <summary>Objects that come from the Kubernetes API rather than from files.</summary>
public sealed partial class ConfigLoader
{
    /// <summary>
    /// Loads API objects, each one document (JSON is YAML) named by <see cref="SourcedObject.Source"/> where a file
    /// would be, through the very reading and checks a file gets: an object the API server accepted but BgpLb
    /// cannot use is refused with the text a file holding it would get. The JSON the server sent is read as
    /// the YAML nodes its text would give, without writing and parsing it again; and through <paramref name="cache"/> an object of
    /// the Service, Node, Namespace, Secret or EndpointSlice kinds whose resourceVersion the cache saw is taken over
    /// as read then, so a change of one Service among 10,000 reads one, and the result's
    /// <see cref="ConfigLoadResult.Changes"/> names what changed since the cache's last good load.
    /// </summary>
    public static ConfigLoadResult LoadObjects(IReadOnlyCollection<SourcedObject> objects, ConfigCache? cache)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var loader = new ConfigLoader();
        if (cache is not null)
        {
            cache.LastHits = 0;
        }
        var records = new Dictionary<string, FileRecord>(objects.Count, StringComparer.Ordinal);
        var sources = new HashSet<string>(objects.Count, StringComparer.Ordinal);
        foreach (var item in objects)
        {
            sources.Add(item.Source);
            loader.ReadSource(item.Source, SourceStamp.OfVersion(item.ResourceVersion), cache, records, () =>
            {
                loader.ReadDocument(new DocumentContext(item.Source, loader._diagnostics), Document(item));
                return true;
            });
        }
        return loader.Finish(objects.Count, cache, sources, records);
    }

    /// <summary>
    /// The YAML nodes a YAML parser makes of the object's JSON text: strings double-quoted (so "80" stays a string),
    /// numbers, booleans and null plain; apiVersion and kind put in front when the JSON lacks them.
    /// metadata.managedFields is left out: the server's bookkeeping of who set which field, often most of the
    /// object, and metadata beyond name, namespace, labels and annotations is not judged.
    /// </summary>
    private static YamlMappingNode Document(SourcedObject item)
    {
        var root = new YamlMappingNode();
        if (!item.Json.TryGetProperty("apiVersion", out _))
        {
            root.Add(Quoted("apiVersion"), Quoted(item.ApiVersion));
        }
        if (!item.Json.TryGetProperty("kind", out _))
        {
            root.Add(Quoted("kind"), Quoted(item.Kind));
        }
        foreach (var property in item.Json.EnumerateObject())
        {
            root.Add(Quoted(property.Name), property.NameEquals("metadata") && property.Value.ValueKind == JsonValueKind.Object
                ? Mapping(property.Value, skip: "managedFields")
                : Node(property.Value));
        }
        return root;
    }

    private static YamlNode Node(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => Mapping(value, skip: null),
        JsonValueKind.Array => new YamlSequenceNode(value.EnumerateArray().Select(Node)),
        JsonValueKind.String => Quoted(value.GetString() ?? ""),
        JsonValueKind.True => Plain("true"),
        JsonValueKind.False => Plain("false"),
        JsonValueKind.Number => Plain(value.GetRawText()),
        _ => Plain("null"),
    };

    private static YamlMappingNode Mapping(JsonElement value, string? skip)
    {
        var map = new YamlMappingNode();
        foreach (var property in value.EnumerateObject())
        {
            if (skip is null || !property.NameEquals(skip))
            {
                map.Add(Quoted(property.Name), Node(property.Value));
            }
        }
        return map;
    }

    private static YamlScalarNode Quoted(string text) => new(text) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };
}
