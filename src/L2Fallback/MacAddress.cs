using System.Buffers.Binary;
using System.Globalization;

namespace BgpLb.L2Fallback;

/// <summary>A 48-bit IEEE 802 MAC address, kept in the low 48 bits of a <see cref="ulong"/> (first octet highest).</summary>
public readonly record struct MacAddress
{
    public const int Length = 6;

    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFF;

    public static MacAddress Broadcast { get; } = new(0xFFFF_FFFF_FFFF);

    public static MacAddress Zero { get; } = new(0);

    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)_value);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    /// <summary>IEEE 802: the I/G bit (least significant bit of the first octet) marks group addresses.</summary>
    public bool IsMulticast => ((_value >> 40) & 1) != 0;

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (also with '-'); false for anything else.</summary>
    public static bool TryParse(string text, out MacAddress mac)
    {
        ArgumentNullException.ThrowIfNull(text);
        mac = default;
        var parts = text.Split(':', '-');
        if (parts.Length != Length)
        {
            return false;
        }
        ulong value = 0;
        foreach (var part in parts)
        {
            if (part.Length != 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var octet))
            {
                return false;
            }
            value = (value << 8) | octet;
        }
        mac = new MacAddress(value);
        return true;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
