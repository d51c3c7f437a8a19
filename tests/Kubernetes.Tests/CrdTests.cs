using System.Text.Json.Nodes;
using BgpLb.Daemon.Model;
using BgpLb.Kubernetes.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Kubernetes.Tests;

/// <summary>The CRDs of <c>deploy/crds</c> in a real API server: what the daemon reads fits them, nothing is pruned.</summary>
[Collection(ApiServerGroup.Name)]
public sealed class CrdTests(ApiServer server) : IAsyncLifetime
{
    private const string Group = "bgplb.io/";
    private static readonly string EveryField = Path.Combine(Deploy.Root, "tests", "Kubernetes.Tests", "Data", "every-field.yaml");

    /// <summary>Fields MetalLB has and BgpLb refuses: declared in the CRD only so that they are refused, not pruned.</summary>
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal)
    {
        "BGPPeer spec.vrf", "BGPPeer spec.interface", "BGPPeer spec.dualStackAddressFamily",
    };

    public Task InitializeAsync() => Deploy.InstallCrdsAsync(server);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_bgplb_objects_of_every_example_are_accepted()
    {
        var files = Directory.GetFiles(Path.Combine(Deploy.Root, "examples"), "*.yaml", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var ns = await Kubectl.CreateNamespaceAsync(server, "bgplbk-examples");
        var created = 0;
        foreach (var file in files)
        {
            Assert.True(ConfigLoader.Load(file).IsValid, $"{file} is not a valid configuration");
            foreach (var document in OurDocuments(File.ReadAllText(file)))
            {
                var result = await Kubectl.RunAsync(server, document, "create", "-n", ns, "-f", "-");
                Assert.True(result.Succeeded, $"{file}: the server refused\n{document}\n{result.Stderr}");
                created++;
            }
        }
        Assert.True(created > 0, "no bgplb.io object in examples/*.yaml");
    }

    [Fact]
    public async Task Every_field_the_daemon_reads_is_kept_by_the_server_as_written()
    {
        var loaded = ConfigLoader.Load(EveryField);
        Assert.True(loaded.IsValid, string.Join('\n', loaded.Diagnostics));
        await Kubectl.RunAsync(server, null, "create", "namespace", "bgplbk-every-field");
        var written = Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "--dry-run=client", "-o", "json", "-f", EveryField));
        var stored = Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "-o", "json", "-f", EveryField));
        var ours = written.Where(o => o["apiVersion"]!.GetValue<string>().StartsWith(Group, StringComparison.Ordinal)).ToList();
        Assert.Equal(6, ours.Select(o => o["kind"]!.GetValue<string>()).Distinct().Count());
        foreach (var original in ours)
        {
            var name = original["metadata"]!["name"]!.GetValue<string>();
            var kind = original["kind"]!.GetValue<string>();
            var back = stored.Single(o => o["kind"]!.GetValue<string>() == kind && o["metadata"]!["name"]!.GetValue<string>() == name);
            // The server adds the CRD's defaults; everything written must be there as written.
            Assert.True(Kept(original["spec"], back["spec"]),
                $"{kind} {name}: the server stored\n{back["spec"]}\nfrom\n{original["spec"]}");
        }
    }

    [Fact]
    public async Task Every_spec_field_of_every_crd_is_one_the_daemon_reads()
    {
        // The every-field file is accepted by the loader (which refuses unknown fields), so a field of the CRD that
        // appears there is read by the daemon; one that appears nowhere would be a field the daemon ignores.
        var crds = Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "--dry-run=client", "-o", "json", "-f", Deploy.Crds));
        var objects = Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "--dry-run=client", "-o", "json", "-f", EveryField));
        var missing = new List<string>();
        foreach (var crd in crds)
        {
            var kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
            if (kind == "NodeState")
            {
                continue; // written by the speaker, read by no one in the daemon: not configuration.
            }
            var schema = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var o in objects.Where(o => o["kind"]!.GetValue<string>() == kind))
            {
                Paths(o["spec"], "spec", present);
            }
            var declared = new HashSet<string>(StringComparer.Ordinal);
            SchemaPaths(schema, "spec", declared);
            missing.AddRange(declared.Where(p => !present.Contains(p) && !Refused.Contains(kind + " " + p)).Select(p => kind + " " + p));
        }
        Assert.True(missing.Count == 0, "fields of the CRDs that every-field.yaml does not set: " + string.Join(", ", missing));
    }

    /// <summary>The documents of a YAML stream whose apiVersion is bgplb.io's, each as YAML text.</summary>
    private static IEnumerable<string> OurDocuments(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("apiVersion"), out var version)
                && version is YamlScalarNode { Value: { } v } && v.StartsWith(Group, StringComparison.Ordinal))
            {
                var writer = new StringWriter();
                new YamlStream(document).Save(writer, assignAnchors: false);
                yield return writer.ToString();
            }
        }
    }

    /// <summary>Every object field path set in <paramref name="node"/> (list items merged: spec.a.b, not spec.a[0].b).</summary>
    private static void Paths(JsonNode? node, string path, HashSet<string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    into.Add(path + "." + key);
                    Paths(value, path + "." + key, into);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Paths(item, path, into);
                }
                break;
        }
    }

    /// <summary>Whether every field of <paramref name="written"/> is in <paramref name="stored"/> with the same value.</summary>
    private static bool Kept(JsonNode? written, JsonNode? stored) => (written, stored) switch
    {
        (JsonObject w, JsonObject s) => w.All(kv => s.ContainsKey(kv.Key) && Kept(kv.Value, s[kv.Key])),
        (JsonArray w, JsonArray s) => w.Count == s.Count && w.Zip(s).All(p => Kept(p.First, p.Second)),
        _ => JsonNode.DeepEquals(written, stored),
    };

    /// <summary>
    /// Every declared property path of a schema, in the shape of <see cref="Paths"/>. A label selector (an atomic
    /// map, one schema in every CRD) counts as one field: the every-field file uses each of its forms once.
    /// </summary>
    private static void SchemaPaths(JsonNode schema, string path, HashSet<string> into)
    {
        if (schema["x-kubernetes-map-type"]?.GetValue<string>() == "atomic")
        {
            return;
        }
        if (schema["items"] is { } items)
        {
            SchemaPaths(items, path, into);
        }
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (key, value) in properties)
            {
                into.Add(path + "." + key);
                SchemaPaths(value!, path + "." + key, into);
            }
        }
    }
}
