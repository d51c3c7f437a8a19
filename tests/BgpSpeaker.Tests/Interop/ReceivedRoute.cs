using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// One route as a router shows it, in one notation for all routers: communities as
/// <c>65000:100</c>, large communities as <c>4200000001:1:2</c>, next hops in the order the router
/// lists them (IPv6: global, then link-local when the router shows it). Read from BIRD's and FRR's
/// own output by <see cref="FromBird"/> and <see cref="FromFrr"/> (also compiled into the daemon's
/// end-to-end tests).
/// </summary>
internal sealed partial record ReceivedRoute(
    string Origin,
    IReadOnlyList<uint> AsPath,
    IReadOnlyList<string> NextHops,
    uint? Med,
    uint? LocalPref,
    IReadOnlyList<string> Communities,
    IReadOnlyList<string> LargeCommunities)
{
    public override string ToString() =>
        $"origin {Origin}, as-path [{string.Join(' ', AsPath)}], next hops [{string.Join(' ', NextHops)}], med {Med}, local-pref {LocalPref}, "
        + $"communities [{string.Join(' ', Communities)}], large [{string.Join(' ', LargeCommunities)}]";

    /// <summary>
    /// The route in BIRD 2's <c>birdc show route all PREFIX</c> (one <c>BGP.name: value</c> line per
    /// attribute; BIRD 2.0 has no JSON output), or null for "Network not found".
    /// </summary>
    public static ReceivedRoute? FromBird(string showRouteAll)
    {
        ArgumentNullException.ThrowIfNull(showRouteAll);
        if (showRouteAll.Contains("Network not found", StringComparison.Ordinal))
        {
            return null;
        }
        var attributes = showRouteAll.Split('\n').Select(l => BirdAttributeLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim(), StringComparer.Ordinal);
        string[] Words(string name) => attributes.TryGetValue(name, out var value) ? value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        uint? Number(string name) => attributes.TryGetValue(name, out var value) ? uint.Parse(value, CultureInfo.InvariantCulture) : null;
        // "(65000,100) (65535,65281)" and "(4200000001, 1, 2)": one community per parenthesis.
        string[] Communities(string name) => attributes.TryGetValue(name, out var value)
            ? Parenthesised().Matches(value).Select(m => m.Groups[1].Value.Replace(" ", "", StringComparison.Ordinal).Replace(',', ':')).ToArray()
            : [];
        return new ReceivedRoute(
            attributes.GetValueOrDefault("origin", "(none)"),
            Words("as_path").Select(a => uint.Parse(a, CultureInfo.InvariantCulture)).ToArray(),
            Words("next_hop"),
            Number("med"),
            Number("local_pref"),
            Communities("community"),
            Communities("large_community"));
    }

    /// <summary>One element of <c>paths</c> in FRR's <c>show bgp ... unicast PREFIX json</c>.</summary>
    public static ReceivedRoute FromFrr(JsonElement path)
    {
        static string[] Words(JsonElement e, string name) =>
            e.TryGetProperty(name, out var value) ? value.GetProperty("string").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        static uint? Number(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value.GetUInt32() : null;
        return new ReceivedRoute(
            path.GetProperty("origin").GetString()!,
            // The segments, not the text: FRR writes an empty AS_PATH as "Local".
            path.GetProperty("aspath").GetProperty("segments").EnumerateArray().SelectMany(s => s.GetProperty("list").EnumerateArray()).Select(a => a.GetUInt32()).ToArray(),
            path.GetProperty("nexthops").EnumerateArray().Select(n => n.GetProperty("ip").GetString()!).ToArray(),
            Number(path, "metric"),
            Number(path, "locPrf"),
            // FRR names well-known communities (RFC 1997): no-export is 65535:65281.
            Words(path, "community").Select(c => c == "no-export" ? "65535:65281" : c).ToArray(),
            Words(path, "largeCommunity"));
    }

    [GeneratedRegex(@"^\s+BGP\.(\w+)(?: \[[^\]]*\])?:(.*)$")]
    private static partial Regex BirdAttributeLine();

    [GeneratedRegex(@"\(([^)]*)\)")]
    private static partial Regex Parenthesised();
}
