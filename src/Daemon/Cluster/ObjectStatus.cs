using System.Text.Json;
using System.Text.Json.Nodes;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// What the controller says in the status of a bgplb.io configuration object (docs/kubernetes.md, "Status of the
/// configuration objects"): the condition <c>Valid</c>, from the build of all the objects, and for an
/// IPAddressPool its usage, from the leader's allocator. Pure: what to say, whether the stored status says it
/// already, and the merge patch that makes it say so.
/// </summary>
internal static class ObjectStatus
{
    public const string ReasonAccepted = NodeStateStatus.ReasonAccepted;
    public const string ReasonRefused = RefusalReporter.ReasonInvalid;
    public const string ReasonKeptLastGood = NodeStateStatus.ReasonKeptLastGood;

    /// <summary>The pool usage members of the IPAddressPool CRD's status, in <see cref="Desired.Usage"/>'s order.</summary>
    public static readonly string[] UsageFields = ["assignedIPv4", "availableIPv4", "assignedIPv6", "availableIPv6"];

    /// <summary>What the status should say.</summary>
    /// <param name="Status">The condition's status: True, False or Unknown.</param>
    /// <param name="Generation">metadata.generation of the version judged: the condition's observedGeneration.</param>
    /// <param name="Usage">For a pool the allocator holds: the values of <see cref="UsageFields"/>; null: none (the members are removed).</param>
    public sealed record Desired(string Status, string Reason, string Message, long Generation, long[]? Usage);

    /// <summary>
    /// The status of <paramref name="item"/> after <paramref name="built"/>. Its own errors make it False (each
    /// finding with its field); a set refused as a whole (a check across objects) makes the others Unknown, since
    /// the last good configuration, not theirs, is in force; otherwise True. <paramref name="inForce"/>: a version
    /// of it is in the snapshot in force (<see cref="ClusterConfiguration.InForce"/>).
    /// </summary>
    public static Desired Of(ClusterObject item, ClusterConfigResult built, bool inForce, PoolStatus? usage)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(built);
        var generation = Generation(item.Json);
        var counts = usage is null ? null : new[] { Capped(usage.IPv4InUse), Capped(usage.IPv4Available), Capped(usage.IPv6InUse), Capped(usage.IPv6Available) };
        var errors = built.Diagnostics.Where(d => d.Severity == Severity.Error && d.File == item.Subject)
            .Select(d => (d.Path.Length > 0 ? d.Path + ": " : "") + d.Message).Distinct(StringComparer.Ordinal).ToList();
        if (errors.Count > 0)
        {
            var consequence = inForce ? "its last good version stays in force" : "no version of it was valid yet, so it is not in force";
            return new Desired("False", ReasonRefused, Conditions.Message(string.Join("; ", errors) + "; " + consequence), generation, counts);
        }
        if (built.KeptLastGood)
        {
            return new Desired("Unknown", ReasonKeptLastGood,
                "the objects are refused together (a check across objects: see those whose Valid is False); the last good configuration stays in force"
                + (inForce ? "" : ", and this object is not in it"), generation, counts);
        }
        return new Desired("True", ReasonAccepted, "in force as written", generation, counts);
    }

    /// <summary>Whether the stored status of <paramref name="item"/> says <paramref name="desired"/> already.</summary>
    public static bool Says(ClusterObject item, Desired desired)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(desired);
        var status = StatusOf(item.Json);
        if (Conditions.Find(status, Conditions.Valid) is not { } valid
            || Conditions.Text(valid, "status") != desired.Status || Conditions.Text(valid, "reason") != desired.Reason || Conditions.Text(valid, "message") != desired.Message
            || !(valid.TryGetProperty("observedGeneration", out var observed) && observed.TryGetInt64(out var generation) && generation == desired.Generation))
        {
            return false;
        }
        for (var i = 0; i < UsageFields.Length; i++)
        {
            long? held = status is { } s && s.TryGetProperty(UsageFields[i], out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) ? count : null;
            if (held != desired.Usage?[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The merge patch of <c>/status</c> that makes it say <paramref name="desired"/>: the conditions whole (a merge
    /// patch replaces a list), other types kept; lastTransitionTime kept while the condition's status stays
    /// (metav1.Condition), else <paramref name="now"/>; usage members set, or removed when there is none.
    /// </summary>
    public static string Patch(ClusterObject item, Desired desired, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(desired);
        var status = StatusOf(item.Json);
        var conditions = new JsonArray();
        if (status is { } s && s.TryGetProperty("conditions", out var held) && held.ValueKind == JsonValueKind.Array)
        {
            foreach (var other in held.EnumerateArray().Where(c => Conditions.Text(c, "type") != Conditions.Valid))
            {
                conditions.Add(JsonNode.Parse(other.GetRawText()));
            }
        }
        var since = Conditions.Find(status, Conditions.Valid) is { } valid && Conditions.Text(valid, "status") == desired.Status && Conditions.Text(valid, "lastTransitionTime") is { } kept
            ? kept
            : Conditions.Time(now);
        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = Conditions.Valid,
            ["status"] = desired.Status,
            ["reason"] = desired.Reason,
            ["message"] = desired.Message,
            ["lastTransitionTime"] = since,
            ["observedGeneration"] = desired.Generation,
        });
        var patch = new JsonObject { ["conditions"] = conditions };
        for (var i = 0; i < UsageFields.Length; i++)
        {
            if (desired.Usage is { } usage)
            {
                patch[UsageFields[i]] = usage[i];
            }
            else if (status is { } stored && stored.TryGetProperty(UsageFields[i], out _))
            {
                patch[UsageFields[i]] = null;
            }
        }
        return new JsonObject { ["status"] = patch }.ToJsonString();
    }

    private static JsonElement? StatusOf(JsonElement json) =>
        json.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object ? status : null;

    private static long Generation(JsonElement json) =>
        json.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("generation", out var generation) && generation.TryGetInt64(out var value) ? value : 0;

    // The CRD's availableIPv6 holds an int64: a /64 alone has more addresses.
    private static long Capped(UInt128 count) => count > long.MaxValue ? long.MaxValue : (long)count;
}
