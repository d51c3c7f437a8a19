namespace BgpLb.BgpSpeaker.Wire;

/// <summary>RFC 6793 §4.2.3: rebuilding the true path from a 2-octet speaker's AS_PATH and AS4_PATH.</summary>
internal static class As4Merge
{
    public static PathAttributes Apply(PathAttributes attributes, AsPath? as4Path, Aggregator? as4Aggregator)
    {
        // "If the AGGREGATOR attribute ... carries an AS other than AS_TRANS, then the AS4_AGGREGATOR
        // and AS4_PATH attributes SHALL be ignored."
        if (attributes.Aggregator is { } aggregator && aggregator.Asn != OpenMessage.AsTrans)
        {
            return attributes;
        }
        if (as4Aggregator is { } real && attributes.Aggregator is not null)
        {
            attributes = attributes with { Aggregator = real };
        }
        if (as4Path is not { } path4 || attributes.AsPath is not { } path2)
        {
            return attributes;
        }
        // "If the number of AS numbers in the AS_PATH attribute is less than the number of AS
        // numbers in the AS4_PATH attribute, then the AS4_PATH attribute SHALL be ignored."
        var keep = path2.PathLength - path4.PathLength;
        if (keep < 0)
        {
            return attributes;
        }
        // Otherwise the leading ASes of AS_PATH that AS4_PATH lacks are prepended to it.
        var merged = new List<AsPathSegment>();
        var split = false;
        foreach (var segment in path2.Segments)
        {
            if (keep == 0 && segment.PathLength > 0)
            {
                break;
            }
            if (segment.PathLength == 0)
            {
                merged.Add(segment); // confederation segments stay with the leading part
            }
            else if (segment.Type == AsPathSegmentType.AsSet || segment.Asns.Count <= keep)
            {
                merged.Add(segment);
                keep -= segment.PathLength;
            }
            else
            {
                merged.Add(segment with { Asns = segment.Asns.AsSpan()[..keep].ToArray() });
                keep = 0;
                split = true;
            }
        }
        var tail = path4.Segments.AsSpan();
        // A sequence cut in two by the merge was one segment on the wire: join it back together.
        if (split && tail.Length > 0 && tail[0].Type == AsPathSegmentType.AsSequence &&
            merged[^1].Asns.Count + tail[0].Asns.Count <= AsPathSegment.MaxAsns)
        {
            uint[] joined = [.. merged[^1].Asns.AsSpan(), .. tail[0].Asns.AsSpan()];
            merged[^1] = merged[^1] with { Asns = joined };
            tail = tail[1..];
        }
        merged.AddRange(tail);
        return attributes with { AsPath = new AsPath(merged.ToArray()) };
    }

    /// <summary>RFC 6793 §6: confederation segments are invalid in AS4_PATH and are dropped.</summary>
    public static AsPath WithoutConfederations(AsPath path)
    {
        var kept = new List<AsPathSegment>();
        foreach (var segment in path.Segments)
        {
            if (segment.Type is AsPathSegmentType.AsSequence or AsPathSegmentType.AsSet)
            {
                kept.Add(segment);
            }
        }
        return kept.Count == path.Segments.Count ? path : new AsPath(kept.ToArray());
    }
}
