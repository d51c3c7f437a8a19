using System.Buffers.Binary;
using System.Net;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 §3, §4; RFC 2545 §3; RFC 8950 §3).</summary>
internal static class MpAttributes
{
    /// <summary>AFI(2) SAFI(1) NH length(1) ... Reserved(1).</summary>
    private const int ReachFixedLength = 5;

    /// <summary>AFI(2) SAFI(1).</summary>
    private const int UnreachFixedLength = 3;

    /// <summary>
    /// RFC 7606 §7.11 / RFC 4760 §7: a malformed MP_REACH_NLRI leaves the session unable to know
    /// which routes it meant; we do not implement AFI/SAFI disable, so it is a session reset with
    /// Optional Attribute Error (the subcode RFC 4760 §7 names).
    /// </summary>
    public static BgpError DecodeReach(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length < ReachFixedLength)
        {
            return Malformed(BgpErrorReason.MalformedMpReach);
        }
        var family = new AfiSafi((Afi)BinaryPrimitives.ReadUInt16BigEndian(value), (Safi)value[2]);
        int nextHopLength = value[3];
        if (value.Length < ReachFixedLength + nextHopLength)
        {
            return Malformed(BgpErrorReason.MalformedMpReach);
        }
        if (!IsSupported(family))
        {
            // Not a family we negotiate: nothing to parse it by. Kept opaque and reported, so the
            // session can count it; RFC 4760 §7 lets us ignore the family.
            set.AddOther((byte)AttributeType.MpReachNlri, value);
            return BgpError.Update(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.UnsupportedAddressFamily);
        }
        var nextHop = value.Slice(4, nextHopLength);
        IPAddress global;
        IPAddress? linkLocal = null;
        switch (nextHopLength)
        {
            // IPv4 NLRI: an IPv4 next hop, or IPv6 global [+ link-local] (RFC 8950 §3).
            case 4 when family.Afi == Afi.IPv4:
                global = new IPAddress(nextHop);
                break;
            case 16:
                global = new IPAddress(nextHop);
                break;
            case 32:
                global = new IPAddress(nextHop[..16]);
                linkLocal = new IPAddress(nextHop[16..]);
                break;
            default:
                return Malformed(BgpErrorReason.MalformedMpReach);
        }
        // RFC 4760 §3: the Reserved octet "MUST be ignored upon receipt".
        var nlriField = value[(ReachFixedLength + nextHopLength)..];
        if (!NlriReader.TryReadAll(nlriField, family.Afi, CodecOptions.Has(set.Options.AddPathReceive, family.Afi), out var nlri, out _))
        {
            return Malformed(BgpErrorReason.MalformedMpReach);
        }
        set.MpReach = new MpReach(family, global, linkLocal, nlri);
        return default;
    }

    public static BgpError DecodeUnreach(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length < UnreachFixedLength)
        {
            return Malformed(BgpErrorReason.MalformedMpUnreach);
        }
        var family = new AfiSafi((Afi)BinaryPrimitives.ReadUInt16BigEndian(value), (Safi)value[2]);
        if (!IsSupported(family))
        {
            set.AddOther((byte)AttributeType.MpUnreachNlri, value);
            return BgpError.Update(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.UnsupportedAddressFamily);
        }
        if (!NlriReader.TryReadAll(value[UnreachFixedLength..], family.Afi, CodecOptions.Has(set.Options.AddPathReceive, family.Afi), out var withdrawn, out _))
        {
            return Malformed(BgpErrorReason.MalformedMpUnreach);
        }
        set.MpUnreach = new MpUnreach(family, withdrawn);
        return default;
    }

    internal static bool IsSupported(AfiSafi family) => family == AfiSafi.IPv4Unicast || family == AfiSafi.IPv6Unicast;

    private static BgpError Malformed(BgpErrorReason reason) =>
        BgpError.Update(UpdateSubcode.OptionalAttributeError, ErrorAction.SessionReset, reason);
}
