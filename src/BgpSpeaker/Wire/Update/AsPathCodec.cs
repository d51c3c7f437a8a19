using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// AS_PATH / AS4_PATH value (RFC 4271 §4.3, RFC 6793 §3): segments of Type(1) Count(1) then
/// Count AS numbers of 2 or 4 octets.
/// </summary>
internal static class AsPathCodec
{
    /// <summary>
    /// RFC 7606 §7.2: malformed when a segment overruns, has count 0, an undefined type, or a
    /// single octet is left over.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> value, int asnSize, out AsPath path)
    {
        path = AsPath.Empty;
        var count = 0;
        for (var rest = value; !rest.IsEmpty; count++)
        {
            if (rest.Length < 2 || rest[1] == 0 || rest[0] is 0 or > (byte)AsPathSegmentType.AsConfedSet || rest.Length < 2 + (rest[1] * asnSize))
            {
                return false;
            }
            rest = rest[(2 + (rest[1] * asnSize))..];
        }
        if (count == 0)
        {
            return true;
        }
        var segments = new AsPathSegment[count];
        var at = value;
        for (var i = 0; i < segments.Length; i++)
        {
            var asns = new uint[at[1]];
            for (var j = 0; j < asns.Length; j++)
            {
                var slot = at[(2 + (j * asnSize))..];
                asns[j] = asnSize == 4 ? BinaryPrimitives.ReadUInt32BigEndian(slot) : BinaryPrimitives.ReadUInt16BigEndian(slot);
            }
            segments[i] = new AsPathSegment((AsPathSegmentType)at[0], asns);
            at = at[(2 + (asns.Length * asnSize))..];
        }
        path = new AsPath(segments);
        return true;
    }

    public static int WireLength(AsPath path, int asnSize)
    {
        var length = 0;
        foreach (var segment in path.Segments)
        {
            // Segments longer than 255 ASes are split on the wire (RFC 4271 §4.3: Count is one octet).
            var chunks = (segment.Asns.Count + AsPathSegment.MaxAsns - 1) / AsPathSegment.MaxAsns;
            length += (2 * chunks) + (segment.Asns.Count * asnSize);
        }
        return length;
    }

    /// <summary>Writes the value; with <paramref name="asnSize"/> 2, ASes above 65535 become AS_TRANS (RFC 6793 §4.2.2).</summary>
    public static void Write(Span<byte> destination, AsPath path, int asnSize)
    {
        var at = 0;
        foreach (var segment in path.Segments)
        {
            var asns = segment.Asns.AsSpan();
            while (!asns.IsEmpty)
            {
                var chunk = asns[..Math.Min(asns.Length, AsPathSegment.MaxAsns)];
                destination[at++] = (byte)segment.Type;
                destination[at++] = (byte)chunk.Length;
                foreach (var asn in chunk)
                {
                    if (asnSize == 4)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], asn);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], asn > ushort.MaxValue ? OpenMessage.AsTrans : (ushort)asn);
                    }
                    at += asnSize;
                }
                asns = asns[chunk.Length..];
            }
        }
    }
}
