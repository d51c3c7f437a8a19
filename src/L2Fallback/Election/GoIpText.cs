using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BgpLb.L2Fallback.Election;

/// <summary>
/// The text of an address exactly as Go's <c>net.IP.String()</c> writes it, which MetalLB hashes:
/// IPv4 and IPv4-mapped IPv6 in dotted decimal; other IPv6 per RFC 5952 §4 (lowercase, no leading
/// zeros, the longest run of two or more zero groups — the first of equals — as "::").
/// Written out rather than taken from <see cref="IPAddress.ToString"/> so the hash input cannot
/// drift with the runtime's formatting.
/// </summary>
public static class GoIpText
{
    private const int Groups = 8;

    public static string Format(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
        {
            var v4 = address.AddressFamily == AddressFamily.InterNetwork ? address : address.MapToIPv4();
            var b = v4.GetAddressBytes();
            return string.Create(CultureInfo.InvariantCulture, $"{b[0]}.{b[1]}.{b[2]}.{b[3]}");
        }
        var bytes = address.GetAddressBytes();
        Span<ushort> groups = stackalloc ushort[Groups];
        for (var i = 0; i < Groups; i++)
        {
            groups[i] = (ushort)((bytes[2 * i] << 8) | bytes[(2 * i) + 1]);
        }
        // RFC 5952 §4.2.2, §4.2.3: compress the longest run of at least two zero groups, the first on a tie.
        int bestStart = -1, bestLength = 1;
        for (var i = 0; i < Groups;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            var start = i;
            while (i < Groups && groups[i] == 0)
            {
                i++;
            }
            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }
        var text = new StringBuilder();
        for (var i = 0; i < Groups; i++)
        {
            if (i == bestStart)
            {
                text.Append("::");
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength)
            {
                text.Append(':');
            }
            text.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
