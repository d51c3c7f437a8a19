using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// kubectl against the test's API server, for what it does best: applying the YAML of <c>deploy/</c> and of
/// test objects as a user would, with the server's own error messages on standard error.
/// </summary>
public static class Kubectl
{
    private const string Binary = "kubectl";
    private const string Install = "install it (https://kubernetes.io/docs/tasks/tools/, any version that talks to a v1.24 server)";

    /// <summary>Runs kubectl with <paramref name="arguments"/>, feeding <paramref name="stdin"/> when given (for <c>-f -</c>).</summary>
    public static Task<ToolResult> RunAsync(ApiServer server, string? stdin, params string[] arguments) =>
        Tool.RunAsync(Binary, Install, server, stdin, arguments);

    /// <summary>Like <see cref="RunAsync"/>, failing the test with kubectl's output when it does not succeed.</summary>
    public static Task<string> MustRunAsync(ApiServer server, string? stdin, params string[] arguments) =>
        Tool.MustRunAsync(Binary, Install, server, stdin, arguments);

    /// <summary>Creates a namespace named <paramref name="prefix"/> plus a random suffix, so that test runs never share one.</summary>
    public static async Task<string> CreateNamespaceAsync(ApiServer server, string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
        await MustRunAsync(server, null, "create", "namespace", name);
        return name;
    }

    /// <summary>The objects of kubectl's <c>-o json</c>: one value per object created, one after the other (or a List).</summary>
    public static List<JsonNode> Objects(string json)
    {
        var result = new List<JsonNode>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            var node = JsonNode.Parse(ref reader)!;
            if (node["items"] is JsonArray items)
            {
                result.AddRange(items.Select(i => i!));
            }
            else
            {
                result.Add(node);
            }
        }
        return result;
    }
}
