using System.Text.Json;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

/// <summary><see cref="ConfigLoader.LoadObjects"/>: API objects read from their JSON as their text would be read, and through a cache by resourceVersion.</summary>
public sealed class LoadObjectsTests
{
    // As the API server sends them (one line of JSON, managedFields and all); the items of a list carry no apiVersion or kind.
    private const string Pool = """{"metadata":{"name":"vips","namespace":"bgplb-system","resourceVersion":"7","managedFields":[{"manager":"kubectl","operation":"Apply","fieldsV1":{"f:spec":{"f:addresses":{}}}}]},"spec":{"addresses":["198.18.0.0/24"],"autoAssign":true}}""";
    private const string Web = """{"metadata":{"name":"web","namespace":"shop","labels":{"app":"web"},"annotations":{"bgplb.io/loadBalancerIPs":"198.18.0.10"},"resourceVersion":"8","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}}]},"spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"web"},"externalTrafficPolicy":"Local","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","allocateLoadBalancerNodePorts":false},"status":{"loadBalancer":{"ingress":[{"ip":"198.18.0.10"}]}}}""";
    private const string Api = """{"metadata":{"name":"api","namespace":"shop","resourceVersion":"9"},"spec":{"type":"LoadBalancer","ports":[{"port":443}],"loadBalancerClass":"bgplb.io/bgplb"},"status":{"loadBalancer":{}}}""";
    private const string Shop = """{"metadata":{"name":"shop","labels":{"team":"a"},"resourceVersion":"3"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""";
    private const string Node = """{"metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"},"resourceVersion":"4"},"spec":{},"status":{"addresses":[{"type":"InternalIP","address":"203.0.113.1"},{"type":"Hostname","address":"n1"}],"conditions":[{"type":"Ready","status":"True"}]}}""";

    // Refused: a quoted port (a string where a number belongs), a bad annotation, a pool address that is no CIDR.
    private const string QuotedPort = """{"metadata":{"name":"quoted","namespace":"shop","resourceVersion":"10"},"spec":{"type":"LoadBalancer","ports":[{"port":"80"}]}}""";
    private const string BadIp = """{"metadata":{"name":"bad","namespace":"shop","annotations":{"bgplb.io/loadBalancerIPs":"198.18.0.x"},"resourceVersion":"11"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}""";
    private const string BadPool = """{"metadata":{"name":"bad","namespace":"bgplb-system","resourceVersion":"12"},"spec":{"addresses":["198.18.1.0/33"],"avoidBuggyIPs":"yes"}}""";

    private static SourcedObject Object(string kind, string json, string? version = null)
    {
        var element = JsonDocument.Parse(json).RootElement;
        var metadata = element.GetProperty("metadata");
        var ns = metadata.TryGetProperty("namespace", out var n) ? n.GetString() + "/" : "";
        var apiVersion = kind == "IPAddressPool" ? "bgplb.io/v1beta1" : "v1";
        return new SourcedObject($"{kind} {ns}{metadata.GetProperty("name").GetString()}",
            version ?? metadata.GetProperty("resourceVersion").GetString()!, apiVersion, kind, element);
    }

    /// <summary>The object's text as a file would hold it: its JSON with apiVersion and kind in front.</summary>
    private static (string File, string Text) Text(SourcedObject item) =>
        (item.Source, $"{{\"apiVersion\":\"{item.ApiVersion}\",\"kind\":\"{item.Kind}\"," + item.Json.GetRawText()[1..]);

    private static string[] Findings(ConfigLoadResult result) =>
        [.. result.Diagnostics.Select(d => $"{d.Severity} {d.File} {d.Subject} {d.Path}: {d.Message}").Order(StringComparer.Ordinal)];

    private static string Describe(LoadBalancerService s) => string.Join(" | ",
        s.Key, Pairs(s.Annotations), Pairs(s.Labels), Pairs(s.NamespaceLabels), s.LoadBalancerIP, string.Join(",", s.IpFamilies), s.IpFamilyPolicy,
        s.LoadBalancerClass, string.Join(",", s.Ports), s.ExternalTrafficPolicy, Pairs(s.Selector));

    private static string Pairs(IEnumerable<KeyValuePair<string, string>> pairs) => string.Join(",", pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));

    [Fact]
    public void Objects_read_from_their_JSON_give_the_snapshot_their_text_gives()
    {
        SourcedObject[] objects = [Object("IPAddressPool", Pool), Object("Service", Web), Object("Service", Api), Object("Namespace", Shop), Object("Node", Node)];
        var fromText = ConfigLoader.LoadTexts([.. objects.Select(Text)]);
        var fromJson = ConfigLoader.LoadObjects(objects, cache: null);

        Assert.NotNull(fromText.Snapshot);
        Assert.NotNull(fromJson.Snapshot);
        Assert.Equal(Findings(fromText), Findings(fromJson));
        Assert.Equal(fromText.Snapshot.Services.Select(Describe), fromJson.Snapshot.Services.Select(Describe));
        var web = fromJson.Snapshot.Services[0];
        Assert.Equal("198.18.0.10", web.Annotations["bgplb.io/loadBalancerIPs"]);
        Assert.Equal("a", web.NamespaceLabels["team"]);
        Assert.Equal(ExternalTrafficPolicy.Local, web.ExternalTrafficPolicy);
        Assert.Equal(fromText.Snapshot.Pools.Select(p => p.Pool.ToString()), fromJson.Snapshot.Pools.Select(p => p.Pool.ToString()));
        var node = Assert.Single(fromJson.Snapshot.Nodes);
        Assert.Equal(["203.0.113.1"], node.InternalAddresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Objects_read_from_their_JSON_are_refused_with_the_findings_their_text_gets()
    {
        SourcedObject[] objects = [Object("IPAddressPool", Pool), Object("Service", QuotedPort), Object("Service", BadIp), Object("IPAddressPool", BadPool)];
        var fromText = ConfigLoader.LoadTexts([.. objects.Select(Text)]);
        var fromJson = ConfigLoader.LoadObjects(objects, cache: null);

        Assert.Null(fromJson.Snapshot);
        Assert.Equal(Findings(fromText), Findings(fromJson));
        // Each refused object is named, so the cluster layer can keep its last good version.
        Assert.Equal(["IPAddressPool bgplb-system/bad", "Service shop/bad", "Service shop/quoted"],
            fromJson.Errors.Select(e => e.File).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Through_a_cache_only_objects_of_a_new_resourceVersion_are_read_again_and_the_changes_name_them()
    {
        var cache = new ConfigCache();
        var pool = Object("IPAddressPool", Pool);
        var first = ConfigLoader.LoadObjects([pool, Object("Service", Web), Object("Service", Api)], cache);
        Assert.Null(first.Changes); // nothing to count from yet
        Assert.Equal(0, cache.LastHits);

        // api's status written (a new resourceVersion), web deleted: one object read again, one taken over (the pool is always read).
        var second = ConfigLoader.LoadObjects([pool, Object("Service", Api, version: "13")], cache);
        Assert.Equal(0, cache.LastHits);
        var changes = second.Changes!;
        Assert.Same(first.Snapshot, changes.Base);
        Assert.True(changes.OnlyServices);
        Assert.Equal(["shop/web"], changes.Removed.Select(k => k.ToString()));
        Assert.Equal(["shop/api"], changes.Upserted.Select(s => s.Key.ToString()));

        var third = ConfigLoader.LoadObjects([pool, Object("Service", Api, version: "13"), Object("Service", Web, version: "14")], cache);
        Assert.Equal(1, cache.LastHits);
        Assert.Same(second.Snapshot, third.Changes!.Base);
        Assert.Empty(third.Changes.Removed);
        Assert.Equal(["shop/web"], third.Changes.Upserted.Select(s => s.Key.ToString()));
        Assert.Equal(["shop/api", "shop/web"], third.Snapshot!.Services.Select(s => s.Key.ToString()));
    }

    [Fact]
    public void A_changed_Namespace_makes_every_Service_new_because_its_labels_are_in_each()
    {
        var cache = new ConfigCache();
        ConfigLoader.LoadObjects([Object("IPAddressPool", Pool), Object("Namespace", Shop), Object("Service", Web)], cache);
        var relabelled = ConfigLoader.LoadObjects([Object("IPAddressPool", Pool), Object("Namespace", Shop.Replace("\"a\"", "\"b\"", StringComparison.Ordinal), version: "5"), Object("Service", Web)], cache);
        Assert.Null(relabelled.Changes);
        Assert.Equal("b", relabelled.Snapshot!.Services[0].NamespaceLabels["team"]);
    }
}
