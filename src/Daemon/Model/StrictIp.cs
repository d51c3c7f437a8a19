using System.Net;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Address text as Go's net.ParseIP (and so MetalLB) reads it. <see cref="IPAddress.TryParse(string, out IPAddress)"/>
/// also takes inet_aton forms: leading zeros as octal ("172.030.0.3" is 172.24.0.3), hex ("0x7f.1"),
/// fewer than four parts ("10.1"), and zone ids; each would quietly name a different router or VIP.
/// </summary>
internal static class StrictIp
{
    private const int V4Parts = 4;
    private const int V6Groups = 8;
    private const int MaxOctet = 255;
    private const int MaxOctetDigits = 3;
    private const int MaxGroupDigits = 4;

    public static bool TryParse(string? text, out IpAddress address)
    {
        address = default;
        if (text is null || !(text.Contains(':', StringComparison.Ordinal) ? IsIPv6(text) : IsIPv4(text)))
        {
            return false;
        }
        // The text is now in a form both parsers read alike, so the framework does the arithmetic.
        address = IpAddress.FromIPAddress(IPAddress.Parse(text));
        return true;
    }

    /// <summary>Four decimal octets 0-255 without leading zeros (Go refuses them since 1.17: they were ambiguous).</summary>
    public static bool IsIPv4(ReadOnlySpan<char> text)
    {
        var parts = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (++parts > V4Parts || part.IsEmpty || part.Length > MaxOctetDigits || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }
            var value = 0;
            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
                value = (value * 10) + (c - '0');
            }
            if (value > MaxOctet)
            {
                return false;
            }
        }
        return parts == V4Parts;
    }

    /// <summary>RFC 4291 §2.2 text: groups of 1-4 hex digits, at most one "::" standing for one or more zero groups, an optional dotted IPv4 tail.</summary>
    public static bool IsIPv6(string text)
    {
        var ellipsis = text.IndexOf("::", StringComparison.Ordinal);
        if (ellipsis >= 0 && text.IndexOf("::", ellipsis + 1, StringComparison.Ordinal) >= 0)
        {
            return false;
        }
        var groups = 0;
        if (ellipsis >= 0)
        {
            if (!CountGroups(text[..ellipsis], allowV4Tail: false, ref groups) || !CountGroups(text[(ellipsis + 2)..], allowV4Tail: true, ref groups))
            {
                return false;
            }
            return groups < V6Groups;
        }
        return CountGroups(text, allowV4Tail: true, ref groups) && groups == V6Groups;
    }

    private static bool CountGroups(string part, bool allowV4Tail, ref int groups)
    {
        if (part.Length == 0)
        {
            return true;
        }
        var pieces = part.Split(':');
        for (var i = 0; i < pieces.Length; i++)
        {
            var piece = pieces[i];
            if (allowV4Tail && i == pieces.Length - 1 && piece.Contains('.', StringComparison.Ordinal))
            {
                if (!IsIPv4(piece))
                {
                    return false;
                }
                groups += 2;
                continue;
            }
            if (piece.Length is 0 or > MaxGroupDigits || !piece.All(char.IsAsciiHexDigit))
            {
                return false;
            }
            groups++;
        }
        return true;
    }
}
