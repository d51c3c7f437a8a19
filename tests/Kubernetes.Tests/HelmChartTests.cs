using System.Text;
using System.Text.Json.Nodes;
using BgpLb.Kubernetes.Tests.Support;

namespace BgpLb.Kubernetes.Tests;

/// <summary>
/// The Helm chart <c>deploy/helm/bgplb</c>: lint-clean, its default rendering the objects of <c>deploy/bgplb.yaml</c>,
/// each value changing what docs/kubernetes.md says and nothing else. <see cref="HelmInstallTests"/> installs it.
/// </summary>
[Collection(ApiServerGroup.Name)]
public sealed class HelmChartTests(ApiServer server)
{
    /// <summary>The labels the chart adds to every object it templates (Helm's standard labels); deploy/ has none of them.</summary>
    private static readonly string[] HelmLabels = ["helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version"];

    public static string NonDefaultValues => Path.Combine(Deploy.Root, "tests", "Kubernetes.Tests", "Data", "helm-values.yaml");

    [Fact]
    public async Task Helm_lint_strict_passes_with_the_default_values_and_with_every_value_set()
    {
        var defaults = await Helm.RunAsync(server, "lint", "--strict", Helm.Chart);
        Assert.True(defaults.Succeeded, $"helm lint --strict {Helm.Chart}: {defaults}");
        var nonDefaults = await Helm.RunAsync(server, "lint", "--strict", Helm.Chart, "--values", NonDefaultValues);
        Assert.True(nonDefaults.Succeeded, $"helm lint --strict {Helm.Chart} --values {NonDefaultValues}: {nonDefaults}");
    }

    [Fact]
    public void The_charts_crds_are_the_files_of_deploy_crds_byte_for_byte()
    {
        var chartCrds = Path.Combine(Helm.Chart, "crds");
        var names = Directory.GetFiles(Deploy.Crds, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var chartNames = Directory.GetFiles(chartCrds, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(names.SequenceEqual(chartNames),
            $"{chartCrds} holds [{string.Join(", ", chartNames)}], deploy/crds [{string.Join(", ", names)}]: run deploy/make-bgplb-yaml.sh");
        var differing = names.Where(n => !File.ReadAllBytes(Path.Combine(Deploy.Crds, n!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(chartCrds, n!)))).ToList();
        Assert.True(differing.Count == 0, $"{chartCrds} differs from deploy/crds in {string.Join(", ", differing)}: run deploy/make-bgplb-yaml.sh");
    }

    [Fact]
    public async Task With_default_values_the_chart_renders_the_objects_of_the_single_file()
    {
        var rendered = await Helm.TemplateAsync(server);
        foreach (var o in rendered.Where(o => Kind(o) != "CustomResourceDefinition"))
        {
            var labels = o["metadata"]!["labels"]!;
            Assert.True(HelmLabels.All(l => labels[l] is not null), $"{Name(o)} lacks one of Helm's labels {string.Join(", ", HelmLabels)}: {labels.ToJsonString()}");
        }
        var chart = rendered.Select(WithoutHelmLabels).ToList();
        var single = Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "--dry-run=client", "-o", "json", "-f", Deploy.SingleFile));
        var missing = single.Where(s => !chart.Any(c => JsonNode.DeepEquals(s, c))).Select(Name).ToList();
        var extra = chart.Where(c => !single.Any(s => JsonNode.DeepEquals(s, c))).Select(Name).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && chart.Count == single.Count,
            $"helm template {Helm.Chart} (default values, namespace bgplb-system) differs from deploy/bgplb.yaml: " +
            $"not rendered or not the same: {string.Join(", ", missing)}; only in the chart: {string.Join(", ", extra)}" +
            string.Concat(missing.Select(m => Diff(single.First(s => Name(s) == m), chart.FirstOrDefault(c => Name(c) == m)))));
    }

    [Fact]
    public async Task Every_value_away_from_its_default_changes_exactly_what_it_says()
    {
        var actual = await Helm.TemplateAsync(server, NonDefaultValues);
        var expected = Expected(await Helm.TemplateAsync(server));
        var expectedNames = expected.Select(Name).Order(StringComparer.Ordinal).ToList();
        var actualNames = actual.Select(Name).Order(StringComparer.Ordinal).ToList();
        Assert.True(expectedNames.SequenceEqual(actualNames),
            $"with {NonDefaultValues} the chart renders [{string.Join(", ", actualNames)}], expected [{string.Join(", ", expectedNames)}]");
        var differing = expected.Where(e => !JsonNode.DeepEquals(e, actual.Single(a => Name(a) == Name(e)))).ToList();
        Assert.True(differing.Count == 0, string.Concat(differing.Select(e => Diff(e, actual.Single(a => Name(a) == Name(e))))));
    }

    /// <summary>The default rendering with, by hand, what each value of Data/helm-values.yaml says it changes.</summary>
    private static List<JsonNode> Expected(List<JsonNode> defaults)
    {
        var result = new List<JsonNode>();
        foreach (var o in defaults.Select(d => d.DeepClone()))
        {
            switch (Kind(o), o["metadata"]!["name"]!.GetValue<string>())
            {
                case ("Namespace", _):
                    continue; // namespace.create: false
                case ("CustomResourceDefinition", _):
                    result.Add(o); // Helm installs crds/ as it is: no labels, no annotations
                    continue;
                case ("ServiceAccount", var name):
                    o["metadata"]!["name"] = name == "bgplb-controller" ? "lb-controller" : "lb-speaker";
                    break;
                case ("ClusterRoleBinding" or "RoleBinding", var name):
                    o["subjects"]![0]!["name"] = name == "bgplb-controller" ? "lb-controller" : "lb-speaker";
                    break;
                case ("Deployment", _):
                    o["spec"]!["replicas"] = 3;
                    Pod(o, "lb-controller", 9472, "control", "prometheus.io/scrape", "true", "infra-critical",
                        new JsonObject { ["node-role.example/infra"] = "true" },
                        new JsonArray(new JsonObject { ["key"] = "dedicated", ["operator"] = "Equal", ["value"] = "infra", ["effect"] = "NoSchedule" }),
                        "kubernetes.io/os", "linux", Resources("100m", "96Mi", "500m", "512Mi"));
                    break;
                case ("DaemonSet", _):
                    Pod(o, "lb-speaker", 9473, "edge", "prometheus.io/port", "9473", "system-node-critical",
                        new JsonObject { ["bgplb.example/announce"] = "true" },
                        new JsonArray(new JsonObject { ["operator"] = "Exists" }),
                        "kubernetes.io/arch", "amd64", Resources("200m", "128Mi", "1", "384Mi"));
                    break;
            }
            Label(o["metadata"]!.AsObject());
            result.Add(o);
        }
        // memberlist.secretKey: the Secret the speakers read, with the chart's labels.
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject
            {
                ["name"] = "memberlist",
                ["namespace"] = "bgplb-system",
                ["labels"] = defaults.First(d => Kind(d) == "ServiceAccount")["metadata"]!["labels"]!.DeepClone(),
            },
            ["type"] = "Opaque",
            ["data"] = new JsonObject { ["secretkey"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef")) },
        };
        Label(secret["metadata"]!.AsObject());
        result.Add(secret);
        return result;
    }

    /// <summary>commonLabels and commonAnnotations.</summary>
    private static void Label(JsonObject metadata)
    {
        metadata["labels"]!["team"] = "network";
        metadata["annotations"] = new JsonObject { ["owner"] = "netops" };
    }

    /// <summary>What the values change in a workload's pod template.</summary>
    private static void Pod(JsonNode workload, string serviceAccount, int metricsPort, string tier, string annotation, string annotationValue,
        string priorityClass, JsonObject nodeSelector, JsonArray tolerations, string affinityKey, string affinityValue, JsonObject resources)
    {
        var template = workload["spec"]!["template"]!;
        template["metadata"]!["labels"]!["tier"] = tier;
        template["metadata"]!["labels"]!["team"] = "network";
        template["metadata"]!["annotations"] = new JsonObject { [annotation] = annotationValue, ["owner"] = "netops" };
        var spec = template["spec"]!;
        spec["serviceAccountName"] = serviceAccount;
        spec["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "regcred" });
        spec["priorityClassName"] = priorityClass;
        spec["nodeSelector"] = nodeSelector;
        spec["tolerations"] = tolerations;
        spec["affinity"] = new JsonObject
        {
            ["nodeAffinity"] = new JsonObject
            {
                ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject
                {
                    ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                    {
                        ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = affinityKey, ["operator"] = "In", ["values"] = new JsonArray(affinityValue) }),
                    }),
                },
            },
        };
        var container = spec["containers"]![0]!;
        container["image"] = "registry.example/bgplb:1.2.3";
        container["imagePullPolicy"] = "Always";
        var args = container["args"]!.AsArray();
        var metrics = args.Select((a, i) => (a!.GetValue<string>(), i)).Single(a => a.Item1.StartsWith("--metrics-address=", StringComparison.Ordinal)).i;
        args[metrics] = $"--metrics-address=$(POD_IP):{metricsPort}";
        args.Add("--load-balancer-class=example.com/edge");
        args.Add("--log-level=Debug");
        args.Add("--log-format=json");
        container["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "metrics")!["containerPort"] = metricsPort;
        container["resources"] = resources;
    }

    private static JsonObject Resources(string cpu, string memory, string cpuLimit, string memoryLimit) => new()
    {
        ["requests"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory },
        ["limits"] = new JsonObject { ["cpu"] = cpuLimit, ["memory"] = memoryLimit },
    };

    private static JsonNode WithoutHelmLabels(JsonNode o)
    {
        var copy = o.DeepClone();
        if (copy["metadata"]!["labels"] is JsonObject labels)
        {
            foreach (var label in HelmLabels)
            {
                labels.Remove(label);
            }
            if (labels.Count == 0)
            {
                copy["metadata"]!.AsObject().Remove("labels");
            }
        }
        return copy;
    }

    private static string Diff(JsonNode expected, JsonNode? actual) =>
        $"\n{Name(expected)}: expected\n{expected.ToJsonString()}\nrendered\n{actual?.ToJsonString() ?? "(none)"}";

    private static string Kind(JsonNode o) => o["kind"]!.GetValue<string>();

    private static string Name(JsonNode o) => $"{Kind(o)} {o["metadata"]!["name"]}";
}
