using BgpLb.Kubernetes.Tests.Support;

namespace BgpLb.Kubernetes.Tests;

/// <summary>
/// An API server of its own (nothing from deploy/ applied by kubectl) into which <c>helm install</c> puts the chart
/// with its default values, as the docs say: release <c>bgplb</c>, namespace <c>bgplb-system</c>, created by helm.
/// </summary>
public sealed class HelmCluster : IAsyncLifetime
{
    public ApiServer Server { get; } = new() { DirPrefix = "bgplbhe-apiserver-" };

    /// <summary>What <c>helm install</c> printed (its NOTES.txt among it).</summary>
    public string InstallOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        InstallOutput = await Helm.MustRunAsync(Server, "install", "bgplb", Helm.Chart, "--namespace", "bgplb-system", "--create-namespace", "--timeout", "60s");
    }

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// The chart installed by helm into a real API server: every object is there, the CRDs are established, the roles
/// are those <see cref="RbacChecks"/> expects (its checks run here too, as the chart's ServiceAccounts), and the
/// rendering with every value set is accepted as well.
/// </summary>
public sealed class HelmInstallTests(HelmCluster cluster) : RbacChecks(cluster.Server), IClassFixture<HelmCluster>
{
    // helm install already ran in the fixture: the CRDs of the chart's crds/, the namespace, the RBAC, the workloads.
    protected override Task InstallAsync(ApiServer server) =>
        Kubectl.MustRunAsync(server, null, "wait", "--for", "condition=Established", "--timeout=60s", "-f", Path.Combine(Helm.Chart, "crds"));

    [Fact]
    public async Task Helm_install_deploys_every_object_of_the_chart_and_says_what_to_do_next()
    {
        var status = await Helm.MustRunAsync(cluster.Server, "status", "bgplb", "--namespace", "bgplb-system");
        Assert.Contains("STATUS: deployed", status, StringComparison.Ordinal);
        var manifest = await Helm.MustRunAsync(cluster.Server, "get", "manifest", "bgplb", "--namespace", "bgplb-system");
        var wanted = Kubectl.Objects(await Kubectl.MustRunAsync(cluster.Server, manifest, "create", "--dry-run=client", "-o", "json", "-f", "-"));
        var stored = Kubectl.Objects(await Kubectl.MustRunAsync(cluster.Server, manifest, "get", "-o", "json", "-f", "-"));
        Assert.Equal(wanted.Select(Name), stored.Select(Name));
        Assert.Contains(stored, o => Name(o) == "Namespace bgplb-system" && o["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!.GetValue<string>() == "privileged");
        // No memberlist.secretKey: the notes say how to make the Secret.
        Assert.Contains("create secret generic memberlist", cluster.InstallOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_server_accepts_the_chart_rendered_with_every_value_set()
    {
        // In a namespace of its own: a server-side apply over the installed release's workloads would merge their
        // ports (keyed by number) with helm's, so a changed metrics port would read as two ports named "metrics".
        var ns = await Kubectl.CreateNamespaceAsync(cluster.Server, "bgplbhe-values");
        var yaml = await Helm.MustRunAsync(cluster.Server, "template", "bgplb", Helm.Chart, "--namespace", ns, "--values", HelmChartTests.NonDefaultValues);
        var objects = Kubectl.Objects(await Kubectl.MustRunAsync(cluster.Server, yaml, "create", "--dry-run=client", "-o", "json", "-f", "-"));
        var output = await Kubectl.MustRunAsync(cluster.Server, yaml, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == objects.Count && lines.All(l => l.EndsWith("(server dry run)", StringComparison.Ordinal)),
            $"expected {objects.Count} objects applied in a server dry run:\n{output}");
    }

    private static string Name(System.Text.Json.Nodes.JsonNode o) => $"{o["kind"]} {o["metadata"]!["name"]}";
}
