using System.Globalization;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Go's time.ParseDuration syntax, which is how Kubernetes (metav1.Duration) and so MetalLB write
/// holdTime and keepaliveTime: signed decimal numbers with units ns, us (µs), ms, s, m, h ("1m30s", "1.5s").
/// </summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        if (text == "0")
        {
            return true;
        }
        var i = 0;
        var negative = text[0] == '-';
        if (text[0] is '-' or '+')
        {
            i++;
        }
        if (i == text.Length)
        {
            return false;
        }
        decimal ticks = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (!decimal.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }
            decimal? perUnit = text[unitStart..i] switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => null,
            };
            if (perUnit is null)
            {
                return false;
            }
            ticks += number * perUnit.Value;
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }
        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }
}
