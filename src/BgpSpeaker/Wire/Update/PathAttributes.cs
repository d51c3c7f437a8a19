using System.Net;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// The path attributes of an UPDATE, typed. Absent attributes are null or empty; AS numbers are
/// always 4-octet (a 2-octet session's AS4_PATH / AS4_AGGREGATOR are merged in on decode and
/// split out again on encode, RFC 6793 §4.2). Compares by value, so routes can be grouped by it.
/// </summary>
public sealed record PathAttributes
{
    public static readonly PathAttributes Empty = new();

    public Origin? Origin { get; init; }

    public AsPath? AsPath { get; init; }

    public IPAddress? NextHop { get; init; }

    public uint? MultiExitDisc { get; init; }

    public uint? LocalPref { get; init; }

    public bool AtomicAggregate { get; init; }

    public Aggregator? Aggregator { get; init; }

    public ValueArray<Community> Communities { get; init; }

    /// <summary>RFC 4456 §8 (route reflection).</summary>
    public uint? OriginatorId { get; init; }

    /// <summary>RFC 4456 §8 (route reflection).</summary>
    public ValueArray<uint> ClusterList { get; init; }

    public MpReach? MpReach { get; init; }

    public MpUnreach? MpUnreach { get; init; }

    public ValueArray<ExtendedCommunity> ExtendedCommunities { get; init; }

    public ValueArray<LargeCommunity> LargeCommunities { get; init; }

    /// <summary>Attributes this codec does not interpret, kept with their flags, in received order.</summary>
    public ValueArray<RawAttribute> Other { get; init; }

    /// <summary>
    /// The attributes as they must be sent on to another peer: unrecognized optional transitive
    /// attributes get the Partial bit, unrecognized non-transitive ones are dropped (RFC 4271 §5).
    /// </summary>
    public PathAttributes ForPropagation()
    {
        if (Other.IsEmpty)
        {
            return this;
        }
        var kept = new List<RawAttribute>(Other.Count);
        foreach (var attribute in Other)
        {
            if ((attribute.Flags & AttributeFlags.Transitive) != 0)
            {
                kept.Add(attribute with { Flags = attribute.Flags | AttributeFlags.Partial });
            }
        }
        return this with { Other = kept.ToArray() };
    }
}
