using System.Text.Json.Nodes;
using BgpLb.Kubernetes.Tests.Support;

namespace BgpLb.Kubernetes.Tests;

/// <summary><c>deploy/bgplb.yaml</c>, the single-file install: the same objects as deploy/, accepted by the server.</summary>
[Collection(ApiServerGroup.Name)]
public sealed class ManifestTests(ApiServer server)
{
    private static readonly string[] Parts = ["rbac", "crds", "workloads"];

    [Fact]
    public async Task The_single_file_holds_exactly_the_objects_of_deploy_crds_rbac_and_workloads()
    {
        var single = await ObjectsAsync(Deploy.SingleFile);
        var parts = new List<JsonNode>();
        foreach (var part in Parts)
        {
            parts.AddRange(await ObjectsAsync(Path.Combine(Deploy.Root, "deploy", part)));
        }
        var missing = parts.Where(p => !single.Any(s => JsonNode.DeepEquals(s, p))).Select(Name).ToList();
        var extra = single.Where(s => !parts.Any(p => JsonNode.DeepEquals(s, p))).Select(Name).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && single.Count == parts.Count,
            $"deploy/bgplb.yaml differs from deploy/{{rbac,crds,workloads}} (run deploy/make-bgplb-yaml.sh): " +
            $"not in it or not the same: {string.Join(", ", missing)}; only in it: {string.Join(", ", extra)}");
        Assert.Contains(single, o => Kind(o) == "Deployment" && o["spec"]!["replicas"]!.GetValue<int>() == 2);
        var speaker = single.Single(o => Kind(o) == "DaemonSet")["spec"]!["template"]!["spec"]!;
        Assert.True(speaker["hostNetwork"]!.GetValue<bool>());
        var added = speaker["containers"]![0]!["securityContext"]!["capabilities"]!["add"]!.AsArray().Select(c => c!.GetValue<string>());
        Assert.Contains("NET_RAW", added);
        Assert.Contains("NET_ADMIN", added);
    }

    [Fact]
    public async Task The_api_server_accepts_every_object_of_the_single_file()
    {
        // The namespace must exist for a dry run of the objects in it; the rest is judged without being stored.
        await Deploy.InstallCrdsAsync(server);
        await Deploy.InstallRbacAsync(server);
        var single = await ObjectsAsync(Deploy.SingleFile);
        var output = await Kubectl.MustRunAsync(server, null, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", Deploy.SingleFile);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == single.Count && lines.All(l => l.EndsWith("(server dry run)", StringComparison.Ordinal)),
            $"expected {single.Count} objects applied in a server dry run:\n{output}");
    }

    private async Task<List<JsonNode>> ObjectsAsync(string path) =>
        Kubectl.Objects(await Kubectl.MustRunAsync(server, null, "create", "--dry-run=client", "-o", "json", "-f", path));

    private static string Kind(JsonNode o) => o["kind"]!.GetValue<string>();

    private static string Name(JsonNode o) => $"{Kind(o)} {o["metadata"]!["name"]}";
}
