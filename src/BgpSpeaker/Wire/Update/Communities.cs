namespace BgpLb.BgpSpeaker.Wire;

/// <summary>A COMMUNITIES value (RFC 1997): AS(2) and value(2) as one 32-bit number.</summary>
public readonly record struct Community(uint Value)
{
    /// <summary>RFC 8326.</summary>
    public static readonly Community GracefulShutdown = new(0xFFFF0000);

    /// <summary>RFC 7611.</summary>
    public static readonly Community AcceptOwn = new(0xFFFF0001);

    /// <summary>RFC 7999.</summary>
    public static readonly Community Blackhole = new(0xFFFF029A);

    /// <summary>RFC 1997.</summary>
    public static readonly Community NoExport = new(0xFFFFFF01);

    /// <summary>RFC 1997.</summary>
    public static readonly Community NoAdvertise = new(0xFFFFFF02);

    /// <summary>RFC 1997.</summary>
    public static readonly Community NoExportSubconfed = new(0xFFFFFF03);

    /// <summary>RFC 3765.</summary>
    public static readonly Community NoPeer = new(0xFFFFFF04);

    public static Community Of(ushort asn, ushort value) => new(((uint)asn << 16) | value);

    public ushort Asn => (ushort)(Value >> 16);

    public ushort LocalValue => (ushort)Value;

    /// <summary>The RFC name of a well-known community, or null.</summary>
    public string? WellKnownName => Value switch
    {
        0xFFFF0000 => "GRACEFUL_SHUTDOWN",
        0xFFFF0001 => "ACCEPT_OWN",
        0xFFFF029A => "BLACKHOLE",
        0xFFFFFF01 => "NO_EXPORT",
        0xFFFFFF02 => "NO_ADVERTISE",
        0xFFFFFF03 => "NO_EXPORT_SUBCONFED",
        0xFFFFFF04 => "NOPEER",
        _ => null,
    };

    public static Community Parse(string text) => WellKnown(text) ?? ParseNumeric(text);

    private static Community? WellKnown(string text) => text.ToUpperInvariant().Replace('-', '_') switch
    {
        "GRACEFUL_SHUTDOWN" => GracefulShutdown,
        "ACCEPT_OWN" => AcceptOwn,
        "BLACKHOLE" => Blackhole,
        "NO_EXPORT" => NoExport,
        "NO_ADVERTISE" => NoAdvertise,
        "NO_EXPORT_SUBCONFED" => NoExportSubconfed,
        "NOPEER" => NoPeer,
        _ => null,
    };

    private static Community ParseNumeric(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new FormatException($"\"{text}\" is not a community: expected ASN:VALUE (each 0-65535) or a well-known name.");
        }
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        if (!ushort.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, ci, out var asn) ||
            !ushort.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, ci, out var value))
        {
            throw new FormatException($"\"{text}\" is not a community: each half must be 0-65535.");
        }
        return Of(asn, value);
    }

    public override string ToString() => WellKnownName ?? $"{Asn}:{LocalValue}";
}

/// <summary>An EXTENDED_COMMUNITIES value (RFC 4360 §2): 8 octets, type first, as one 64-bit number.</summary>
public readonly record struct ExtendedCommunity(ulong Value)
{
    public byte TypeHigh => (byte)(Value >> 56);

    public byte SubType => (byte)(Value >> 48);

    /// <summary>RFC 4360 §2: the I/A/N/A "Transitive" bit is the second bit of the type (0 = transitive).</summary>
    public bool IsTransitive => (TypeHigh & 0x40) == 0;

    /// <summary>Two-octet AS specific Route Target (RFC 4360 §4: type 0x00, subtype 0x02).</summary>
    public static ExtendedCommunity RouteTarget(ushort asn, uint value) => new(0x0002_0000_0000_0000UL | ((ulong)asn << 32) | value);

    public override string ToString() => $"0x{Value:x16}";
}

/// <summary>A LARGE_COMMUNITY value (RFC 8092 §3): global administrator, local data 1 and 2.</summary>
public readonly record struct LargeCommunity(uint GlobalAdministrator, uint LocalData1, uint LocalData2)
{
    public static LargeCommunity Parse(string text)
    {
        var parts = text.Split(':');
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length != 3 ||
            !uint.TryParse(parts[0], System.Globalization.NumberStyles.None, ci, out var g) ||
            !uint.TryParse(parts[1], System.Globalization.NumberStyles.None, ci, out var l1) ||
            !uint.TryParse(parts[2], System.Globalization.NumberStyles.None, ci, out var l2))
        {
            throw new FormatException($"\"{text}\" is not a large community: expected GLOBAL:LOCAL1:LOCAL2, each 0-4294967295.");
        }
        return new LargeCommunity(g, l1, l2);
    }

    public override string ToString() => $"{GlobalAdministrator}:{LocalData1}:{LocalData2}";
}
