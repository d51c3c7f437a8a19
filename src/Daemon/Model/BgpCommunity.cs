using System.Globalization;

namespace BgpLb.Daemon.Model;

/// <summary>
/// A COMMUNITIES value (RFC 1997: two 16-bit halves, "64512:100") or a LARGE_COMMUNITY (RFC 8092: three
/// 32-bit parts, written "large:4200000001:1:2" as MetalLB does).
/// </summary>
public readonly record struct BgpCommunity(bool IsLarge, uint GlobalAdministrator, uint LocalData1, uint LocalData2)
{
    private const string LargePrefix = "large:";

    public static BgpCommunity Standard(ushort asn, ushort value) => new(false, asn, value, 0);

    public static bool TryParse(string text, out BgpCommunity community, out string error)
    {
        community = default;
        error = "";
        var large = text.StartsWith(LargePrefix, StringComparison.Ordinal);
        var parts = (large ? text[LargePrefix.Length..] : text).Split(':');
        if (parts.Length != (large ? 3 : 2))
        {
            error = large
                ? $"\"{text}\" is not a large community (large:global:local1:local2)"
                : $"\"{text}\" is not a community (asn:value) or the name of one";
            return false;
        }
        var max = large ? uint.MaxValue : ushort.MaxValue;
        var values = new uint[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] > max)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"\"{text}\": \"{parts[i]}\" is not a number in [0, {max}]");
                return false;
            }
        }
        community = new BgpCommunity(large, values[0], values[1], values[2]);
        return true;
    }

    public override string ToString() => IsLarge
        ? string.Create(CultureInfo.InvariantCulture, $"{LargePrefix}{GlobalAdministrator}:{LocalData1}:{LocalData2}")
        : string.Create(CultureInfo.InvariantCulture, $"{GlobalAdministrator}:{LocalData1}");
}
