namespace BgpLb.BgpSpeaker.Wire;

/// <summary>AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3).</summary>
public enum AsPathSegmentType : byte
{
    AsSet = 1,
    AsSequence = 2,
    AsConfedSequence = 3,
    AsConfedSet = 4,
}

/// <summary>One AS_PATH segment: type, then 1–255 AS numbers (RFC 4271 §4.3).</summary>
public readonly record struct AsPathSegment(AsPathSegmentType Type, ValueArray<uint> Asns)
{
    /// <summary>RFC 4271 §4.3: the segment length is one octet.</summary>
    public const int MaxAsns = 255;

    /// <summary>RFC 4271 §9.1.2.2 (a) and RFC 6793 §4.2.3: a set counts once, confederation segments not at all.</summary>
    public int PathLength => Type switch
    {
        AsPathSegmentType.AsSequence => Asns.Count,
        AsPathSegmentType.AsSet => 1,
        _ => 0,
    };

    public override string ToString() => Type switch
    {
        AsPathSegmentType.AsSequence => string.Join(' ', Asns),
        AsPathSegmentType.AsSet => "{" + string.Join(',', Asns) + "}",
        AsPathSegmentType.AsConfedSequence => "(" + string.Join(' ', Asns) + ")",
        _ => "[" + string.Join(',', Asns) + "]",
    };
}

/// <summary>An AS_PATH as a list of segments, always with full 4-octet AS numbers.</summary>
public readonly record struct AsPath(ValueArray<AsPathSegment> Segments)
{
    public static AsPath Empty => default;

    public static AsPath Sequence(params uint[] asns) =>
        asns.Length == 0 ? Empty : new AsPath(new[] { new AsPathSegment(AsPathSegmentType.AsSequence, asns) });

    /// <summary>Number of ASes for path selection and RFC 6793 §4.2.3.</summary>
    public int PathLength
    {
        get
        {
            var n = 0;
            foreach (var segment in Segments)
            {
                n += segment.PathLength;
            }
            return n;
        }
    }

    public bool HasFourOctetAsn
    {
        get
        {
            foreach (var segment in Segments)
            {
                foreach (var asn in segment.Asns)
                {
                    if (asn > ushort.MaxValue)
                    {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    public override string ToString() => string.Join(' ', Segments);
}
