using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Cluster;

/// <summary>A Service's <c>status.loadBalancer.ingress</c>: what it says, and the merge patch that makes it say ours.</summary>
public static class ServiceStatus
{
    /// <summary>The value of ingress[].ipMode we write on servers that have it (1.29 and later): the address is a VIP that reaches the node as is.</summary>
    public const string IpModeVip = "VIP";

    /// <summary>The IPs of <c>status.loadBalancer.ingress</c>; entries that hold no IP (a hostname) are not ours and are left out.</summary>
    public static ImmutableArray<IpAddress> IngressOf(ClusterObject service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!TryIngress(service, out var ingress))
        {
            return [];
        }
        var ips = ImmutableArray.CreateBuilder<IpAddress>();
        foreach (var entry in ingress.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("ip", out var ip) && IpAddress.TryParse(ip.GetString(), out var address))
            {
                ips.Add(address);
            }
        }
        return ips.ToImmutable();
    }

    /// <summary>Whether the status says exactly <paramref name="addresses"/> (in any order), each with ipMode VIP when <paramref name="ipMode"/>.</summary>
    public static bool Says(ClusterObject service, ImmutableArray<IpAddress> addresses, bool ipMode)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!TryIngress(service, out var ingress))
        {
            return addresses.IsDefaultOrEmpty;
        }
        var seen = new HashSet<IpAddress>();
        foreach (var entry in ingress.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("ip", out var ip) || !IpAddress.TryParse(ip.GetString(), out var address)
                || !addresses.Contains(address) || !seen.Add(address))
            {
                return false;
            }
            if (ipMode && !(entry.TryGetProperty("ipMode", out var mode) && mode.GetString() == IpModeVip))
            {
                return false;
            }
        }
        return seen.Count == (addresses.IsDefault ? 0 : addresses.Length);
    }

    /// <summary>The JSON merge patch (RFC 7386) of the status subresource that sets the ingress to <paramref name="addresses"/> (none: removes it).</summary>
    public static string Patch(ImmutableArray<IpAddress> addresses, bool ipMode)
    {
        JsonNode? ingress = null;
        if (!addresses.IsDefaultOrEmpty)
        {
            var list = new JsonArray();
            foreach (var address in addresses)
            {
                var entry = new JsonObject { ["ip"] = address.ToString() };
                if (ipMode)
                {
                    entry["ipMode"] = IpModeVip;
                }
                // As a JsonNode: the generic Add<T> would wrap it through reflection, which Native AOT refuses (IL3050).
                list.Add((JsonNode)entry);
            }
            ingress = list;
        }
        // A null member deletes the field in a merge patch (RFC 7386 §2).
        return new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = ingress } } }.ToJsonString();
    }

    private static bool TryIngress(ClusterObject service, out JsonElement ingress)
    {
        ingress = default;
        return service.Json.TryGetProperty("status", out var status) && status.TryGetProperty("loadBalancer", out var lb)
            && lb.TryGetProperty("ingress", out ingress) && ingress.ValueKind == JsonValueKind.Array;
    }
}
