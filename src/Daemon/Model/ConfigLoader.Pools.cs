using System.Collections.Immutable;
using System.Globalization;
using BgpLb.Allocator;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

public sealed partial class ConfigLoader
{
    /// <summary>Each pool's ranges with the path and node they were read from, for overlap and aggregation errors.</summary>
    private readonly Dictionary<IpAddressPoolConfig, List<(AddressRange Range, string Path, YamlNode Node)>> _poolEntries = new(ReferenceEqualityComparer.Instance);

    private void ReadPool(Fields spec, (string Namespace, string Name) meta, ImmutableDictionary<string, string> labels)
    {
        var ranges = ImmutableArray.CreateBuilder<AddressRange>();
        var entries = new List<(AddressRange, string, YamlNode)>();
        var errorsBefore = spec.Context.ErrorCount;
        var addresses = spec.Strings("addresses");
        // An empty list is the error unless the field was already reported (not a list, entries not strings).
        if (addresses.IsEmpty && spec.Context.ErrorCount == errorsBefore)
        {
            spec.Error("addresses", "required: at least one CIDR or range");
        }
        foreach (var (path, node, text) in addresses)
        {
            if (TryParseRange(text, out var range, out var error))
            {
                ranges.Add(range);
                entries.Add((range, path, node));
            }
            else
            {
                spec.Context.Error(node, path, error);
            }
        }
        var autoAssign = spec.Bool("autoAssign") ?? true;
        var avoidBuggyIPs = spec.Bool("avoidBuggyIPs") ?? false;
        ServiceAllocation? allocation = null;
        if (spec.Map("serviceAllocation") is { } sa)
        {
            allocation = new ServiceAllocation
            {
                Priority = (int)(sa.Integer("priority", 0, int.MaxValue) ?? 0),
                Namespaces = [.. sa.Strings("namespaces", unique: true).Select(n => n.Value)],
                NamespaceSelectors = Selectors.ReadList(sa, "namespaceSelectors"),
                ServiceSelectors = Selectors.ReadList(sa, "serviceSelectors"),
            };
            sa.RejectUnknown();
        }
        spec.RejectUnknown();
        var pool = new AddressPool(meta.Name, ranges.ToImmutable()) { AutoAssign = autoAssign, AvoidBuggyIPs = avoidBuggyIPs, ServiceAllocation = allocation };
        var config = new IpAddressPoolConfig(meta.Namespace, pool) { Labels = labels };
        _poolEntries[config] = entries;
        _pools.Add(new(config, spec));
    }

    /// <summary>
    /// A pool entry, "a.b.c.d/n" or "first-last", with both addresses read by <see cref="StrictIp"/> before
    /// the allocator's <see cref="AddressRange"/> (whose own address parsing is the framework's, which takes octal) sees it.
    /// </summary>
    internal static bool TryParseRange(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AddressRange? range, out string error)
    {
        range = null;
        var family = text.Contains(':', StringComparison.Ordinal) ? "IPv6" : "IPv4";
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            if (!StrictIp.TryParse(text[..dash].Trim(), out _) || !StrictIp.TryParse(text[(dash + 1)..].Trim(), out _))
            {
                error = $"\"{text}\" is not an {family} range";
                return false;
            }
        }
        else
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                error = $"\"{text}\" is neither a CIDR (198.18.0.0/24) nor a range (198.18.0.10-198.18.0.20)";
                return false;
            }
            var prefix = text[(slash + 1)..];
            var bits = family == "IPv4" ? BgpAdvertisementConfig.FullLengthV4 : BgpAdvertisementConfig.FullLengthV6;
            if (!StrictIp.TryParse(text[..slash], out _) || prefix.Length is 0 or > 3 || !prefix.All(char.IsAsciiDigit)
                || (prefix.Length > 1 && prefix[0] == '0') || int.Parse(prefix, CultureInfo.InvariantCulture) > bits)
            {
                error = $"\"{text}\" is not an {family} CIDR";
                return false;
            }
        }
        return AddressRange.TryParse(text, out range, out error);
    }

    /// <summary>The shortest prefix among the CIDRs that exactly cover a range (one CIDR for a CIDR entry), as MetalLB splits ranges.</summary>
    internal static int ShortestPrefix(AddressRange range)
    {
        var bits = range.Family == IpFamily.IPv4 ? BgpAdvertisementConfig.FullLengthV4 : BgpAdvertisementConfig.FullLengthV6;
        var shortest = bits;
        var start = range.First.Value;
        var last = range.Last.Value;
        while (true)
        {
            // Grow the aligned block at start while it stays inside the range. An IPv6 /0 (128 host bits)
            // cannot be a pool: the allocator rejects ::ffff:0:0/96 inside it.
            var length = bits;
            while (length > 0)
            {
                var hostBits = bits - length + 1;
                if (hostBits >= BgpAdvertisementConfig.FullLengthV6)
                {
                    break;
                }
                var mask = (UInt128.One << hostBits) - 1;
                if ((start & mask) != 0 || (start | mask) > last)
                {
                    break;
                }
                length--;
            }
            shortest = Math.Min(shortest, length);
            var blockEnd = start | ((UInt128.One << (bits - length)) - 1);
            if (blockEnd >= last)
            {
                return shortest;
            }
            start = blockEnd + 1;
        }
    }

    private void ReadL2Advertisement(Fields spec, (string Namespace, string Name) meta)
    {
        var advertisement = new L2AdvertisementConfig(meta.Namespace, meta.Name)
        {
            IpAddressPools = [.. spec.Strings("ipAddressPools", unique: true).Select(p => p.Value)],
            IpAddressPoolSelectors = Selectors.ReadList(spec, "ipAddressPoolSelectors"),
            NodeSelectors = Selectors.ReadList(spec, "nodeSelectors"),
            Interfaces = [.. spec.Strings("interfaces", unique: true).Select(p => p.Value)],
        };
        spec.RejectUnknown();
        _l2Advertisements.Add(new(advertisement, spec));
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
