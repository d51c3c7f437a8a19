using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Enumerates the prefixes of a Withdrawn Routes, NLRI or MP attribute field without allocating
/// (RFC 4271 §4.3: length in bits, then the fewest octets that hold it; RFC 7911 §3: a 4-octet
/// Path Identifier first when ADD-PATH is negotiated).
/// </summary>
public ref struct NlriReader
{
    private const int PathIdLength = 4;
    private ReadOnlySpan<byte> _rest;
    private readonly Afi _family;
    private readonly bool _addPath;

    public NlriReader(ReadOnlySpan<byte> field, Afi family, bool addPath)
    {
        _rest = field;
        _family = family;
        _addPath = addPath;
        Error = BgpErrorReason.None;
    }

    /// <summary>Why enumeration stopped early; <see cref="BgpErrorReason.None"/> at a clean end.</summary>
    public BgpErrorReason Error { get; private set; }

    public readonly bool IsEmpty => _rest.IsEmpty;

    public bool MoveNext(out Nlri nlri)
    {
        nlri = default;
        if (_rest.IsEmpty)
        {
            return false;
        }
        uint pathId = 0;
        var span = _rest;
        if (_addPath)
        {
            if (span.Length < PathIdLength + 1)
            {
                return Fail(BgpErrorReason.PrefixOverrun);
            }
            pathId = BinaryPrimitives.ReadUInt32BigEndian(span);
            span = span[PathIdLength..];
        }
        int length = span[0];
        var max = _family == Afi.IPv4 ? 32 : 128;
        if (length > max)
        {
            return Fail(BgpErrorReason.PrefixLengthInvalid);
        }
        var octets = (length + 7) >> 3;
        if (span.Length < 1 + octets)
        {
            return Fail(BgpErrorReason.PrefixOverrun);
        }
        var significant = span.Slice(1, octets);
        nlri = new Nlri(_family == Afi.IPv4 ? IpPrefix.V4(ReadV4(significant), length) : IpPrefix.FromWire(Afi.IPv6, length, significant), pathId);
        _rest = span[(1 + octets)..];
        return true;
    }

    /// <summary>Validates the whole field and counts its entries.</summary>
    public static bool TryCount(ReadOnlySpan<byte> field, Afi family, bool addPath, out int count, out BgpErrorReason error)
    {
        var reader = new NlriReader(field, family, addPath);
        count = 0;
        while (reader.MoveNext(out _))
        {
            count++;
        }
        error = reader.Error;
        return error == BgpErrorReason.None;
    }

    /// <summary>Decodes a whole field into an array (empty field: empty array, no allocation).</summary>
    internal static bool TryReadAll(ReadOnlySpan<byte> field, Afi family, bool addPath, out ValueArray<Nlri> result, out BgpErrorReason error)
    {
        result = default;
        if (!TryCount(field, family, addPath, out var count, out error))
        {
            return false;
        }
        if (count == 0)
        {
            return true;
        }
        var items = new Nlri[count];
        var reader = new NlriReader(field, family, addPath);
        for (var i = 0; i < items.Length; i++)
        {
            reader.MoveNext(out items[i]);
        }
        result = items;
        return true;
    }

    private static uint ReadV4(ReadOnlySpan<byte> significant) => significant.Length switch
    {
        0 => 0,
        1 => (uint)significant[0] << 24,
        2 => (uint)BinaryPrimitives.ReadUInt16BigEndian(significant) << 16,
        3 => ((uint)BinaryPrimitives.ReadUInt16BigEndian(significant) << 16) | ((uint)significant[2] << 8),
        _ => BinaryPrimitives.ReadUInt32BigEndian(significant),
    };

    private bool Fail(BgpErrorReason reason)
    {
        Error = reason;
        _rest = default;
        return false;
    }
}
