using System.Globalization;
using System.Text.Json.Nodes;

namespace BgpLb.Daemon.Cluster;

/// <summary>Writes core/v1 Events about objects, as <c>kubectl describe</c> shows them.</summary>
public sealed class EventRecorder(ApiConnection api, string component, string instance, TimeProvider time)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    /// <summary>Posts one Event on <paramref name="about"/> (in its namespace; "default" for cluster-scoped objects).</summary>
    public async Task RecordAsync(ClusterObject about, string type, string reason, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(about);
        var ns = about.Namespace.Length > 0 ? about.Namespace : "default";
        var now = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["generateName"] = about.Name + ".", ["namespace"] = ns },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = about.Type.ApiVersion,
                ["kind"] = about.Type.Kind,
                ["namespace"] = about.Namespace.Length > 0 ? about.Namespace : null,
                ["name"] = about.Name,
                ["uid"] = about.Uid,
                ["resourceVersion"] = about.ResourceVersion,
            },
            ["type"] = type,
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["reportingComponent"] = component,
            ["reportingInstance"] = instance,
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
        };
        (await api.PostAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/events", body.ToJsonString(), cancellationToken).ConfigureAwait(false)).Dispose();
    }
}
