using System.Globalization;
using System.Net.Sockets;

namespace BgpLb.L2Fallback.Transport;

/// <summary>
/// The interfaces of the IPv4 and IPv6 default routes, read from procfs: <c>/proc/net/route</c>
/// (columns Iface, Destination, Gateway, Flags, RefCnt, Use, Metric, Mask, ... in hex, host order)
/// and <c>/proc/net/ipv6_route</c> (destination, prefix length, source, source length, next hop,
/// metric, refcount, use, flags, device). The lowest metric wins; routes not up (RTF_UP clear) or
/// rejecting (RTF_REJECT, e.g. the unreachable routes on "lo") are skipped.
/// </summary>
public sealed record DefaultRoutes(string? Ipv4Interface, string? Ipv6Interface)
{
    private const uint RouteUp = 0x1;
    private const uint RouteReject = 0x200;

    public string? For(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? Ipv6Interface : Ipv4Interface;

    public static DefaultRoutes Read() => Parse(
        File.Exists("/proc/net/route") ? File.ReadAllText("/proc/net/route") : "",
        File.Exists("/proc/net/ipv6_route") ? File.ReadAllText("/proc/net/ipv6_route") : "");

    public static DefaultRoutes Parse(string ipv4Table, string ipv6Table)
    {
        ArgumentNullException.ThrowIfNull(ipv4Table);
        ArgumentNullException.ThrowIfNull(ipv6Table);
        return new DefaultRoutes(Best(ParseIpv4(ipv4Table)), Best(ParseIpv6(ipv6Table)));
    }

    private static string? Best(IEnumerable<(string Interface, uint Metric)> routes) =>
        routes.OrderBy(r => r.Metric).Select(r => r.Interface).FirstOrDefault();

    private static IEnumerable<(string, uint)> ParseIpv4(string table)
    {
        foreach (var line in table.Split('\n').Skip(1))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || !Hex(f[1], out var destination) || !Hex(f[3], out var flags) || !Hex(f[7], out var mask)
                || !uint.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out var metric))
            {
                continue;
            }
            if (destination == 0 && mask == 0 && (flags & RouteUp) != 0 && (flags & RouteReject) == 0)
            {
                yield return (f[0], metric);
            }
        }
    }

    private static IEnumerable<(string, uint)> ParseIpv6(string table)
    {
        foreach (var line in table.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[0].Length != 32 || !Hex(f[1], out var prefixLength) || !Hex(f[5], out var metric) || !Hex(f[8], out var flags))
            {
                continue;
            }
            if (prefixLength == 0 && f[0].All(c => c == '0') && (flags & RouteUp) != 0 && (flags & RouteReject) == 0)
            {
                yield return (f[9], metric);
            }
        }
    }

    private static bool Hex(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
}
