using System.Globalization;
using System.Text.Json;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// The <c>metav1.Condition</c>s BgpLb writes into a status (a NodeState's, a configuration object's): how a
/// stored one is found and read, and the bounds and time format the CRDs hold them to.
/// </summary>
internal static class Conditions
{
    /// <summary>The one condition type BgpLb writes: whether the daemon holds the object(s) in force.</summary>
    public const string Valid = "Valid";

    /// <summary>The CRDs' bound on a condition message (metav1.Condition allows 32768).</summary>
    public const int MaxMessage = 32768;

    /// <summary><paramref name="message"/> within <see cref="MaxMessage"/>, cut with an ellipsis.</summary>
    public static string Message(string message) => message.Length > MaxMessage ? message[..(MaxMessage - 1)] + "…" : message;

    /// <summary>RFC 3339 to the second, as metav1.Time is written (so the stored text equals ours).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The condition of <paramref name="type"/> in <paramref name="status"/>'s <c>conditions</c>, if there is one.</summary>
    public static JsonElement? Find(JsonElement? status, string type)
    {
        if (status is not { ValueKind: JsonValueKind.Object } s || !s.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var condition in conditions.EnumerateArray())
        {
            if (Text(condition, "type") == type)
            {
                return condition;
            }
        }
        return null;
    }

    /// <summary>A string member of <paramref name="item"/>, or null (absent, or not a string).</summary>
    public static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
