using System.Buffers.Binary;
using System.Net;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// One row per path attribute this codec knows (BIRD's <c>bgp_attr_table[]</c> idea): its
/// Optional/Transitive category, what a malformation costs (RFC 7606 §7), and its decoder. A
/// decoder stores the typed value in the <see cref="AttributeSet"/> or returns the error.
/// </summary>
internal sealed class AttributeTable
{
    private const AttributeFlags WellKnown = AttributeFlags.Transitive;
    private const AttributeFlags OptionalTransitive = AttributeFlags.Optional | AttributeFlags.Transitive;
    private const AttributeFlags OptionalNonTransitive = AttributeFlags.Optional;

    internal delegate BgpError Decoder(ref AttributeSet set, ReadOnlySpan<byte> value);

    private static readonly AttributeTable?[] Rows = BuildRows();

    private AttributeTable(AttributeType type, AttributeFlags category, ErrorAction onMalformed, Decoder decode)
    {
        Type = type;
        Category = category;
        OnMalformed = onMalformed;
        Decode = decode;
    }

    public AttributeType Type { get; }

    /// <summary>The Optional and Transitive bits the attribute must carry (RFC 4271 §5).</summary>
    public AttributeFlags Category { get; }

    /// <summary>The RFC 7606 action for a malformed instance, flags errors included (§3(c)).</summary>
    public ErrorAction OnMalformed { get; }

    public Decoder Decode { get; }

    public static AttributeTable? Find(byte typeCode) => Rows[typeCode];

    private static AttributeTable?[] BuildRows()
    {
        var rows = new AttributeTable?[256];
        void Add(AttributeType type, AttributeFlags category, ErrorAction onMalformed, Decoder decode) =>
            rows[(int)type] = new AttributeTable(type, category, onMalformed, decode);

        const ErrorAction Withdraw = ErrorAction.TreatAsWithdraw;
        const ErrorAction Discard = ErrorAction.AttributeDiscard;
        const ErrorAction Reset = ErrorAction.SessionReset;

        Add(AttributeType.Origin, WellKnown, Withdraw, DecodeOrigin);
        Add(AttributeType.AsPath, WellKnown, Withdraw, DecodeAsPath);
        Add(AttributeType.NextHop, WellKnown, Withdraw, DecodeNextHop);
        Add(AttributeType.MultiExitDisc, OptionalNonTransitive, Withdraw, DecodeMed);
        Add(AttributeType.LocalPref, WellKnown, Withdraw, DecodeLocalPref);
        Add(AttributeType.AtomicAggregate, WellKnown, Discard, DecodeAtomicAggregate);
        Add(AttributeType.Aggregator, OptionalTransitive, Discard, DecodeAggregator);
        Add(AttributeType.Communities, OptionalTransitive, Withdraw, DecodeCommunities);
        Add(AttributeType.OriginatorId, OptionalNonTransitive, Withdraw, DecodeOriginatorId);
        Add(AttributeType.ClusterList, OptionalNonTransitive, Withdraw, DecodeClusterList);
        Add(AttributeType.MpReachNlri, OptionalNonTransitive, Reset, MpAttributes.DecodeReach);
        Add(AttributeType.MpUnreachNlri, OptionalNonTransitive, Reset, MpAttributes.DecodeUnreach);
        Add(AttributeType.ExtendedCommunities, OptionalTransitive, Withdraw, DecodeExtendedCommunities);
        Add(AttributeType.As4Path, OptionalTransitive, Discard, DecodeAs4Path);
        Add(AttributeType.As4Aggregator, OptionalTransitive, Discard, DecodeAs4Aggregator);
        Add(AttributeType.LargeCommunity, OptionalTransitive, Withdraw, DecodeLargeCommunities);

        // Attributes we do not interpret but validate before keeping them opaque, so that a
        // malformed one is not passed on (the lesson of CVE-2023-38802).
        Add(AttributeType.TunnelEncapsulation, OptionalTransitive, Withdraw, ValidateTunnelEncapsulation); // RFC 9012 §13
        Add(AttributeType.Ipv6ExtendedCommunities, OptionalTransitive, Withdraw, (ref s, v) => KeepMultipleOf(ref s, v, AttributeType.Ipv6ExtendedCommunities, 20)); // RFC 5701, RFC 7606 §7.15
        Add(AttributeType.Aigp, OptionalNonTransitive, Discard, ValidateAigp); // RFC 7311 §4
        Add(AttributeType.OnlyToCustomer, OptionalTransitive, Withdraw, ValidateOnlyToCustomer); // RFC 9234 §5
        return rows;
    }

    private static BgpError Malformed(UpdateSubcode subcode, ErrorAction action, BgpErrorReason reason) =>
        BgpError.Update(subcode, action, reason);

    private static BgpError LengthError(ErrorAction action) =>
        Malformed(UpdateSubcode.AttributeLengthError, action, BgpErrorReason.AttributeLengthInvalid);

    /// <summary>RFC 7606 §7.1: length 1, value 0–2, else treat-as-withdraw.</summary>
    private static BgpError DecodeOrigin(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length != 1)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        if (value[0] > (byte)Origin.Incomplete)
        {
            return Malformed(UpdateSubcode.InvalidOriginAttribute, ErrorAction.TreatAsWithdraw, BgpErrorReason.InvalidOrigin);
        }
        set.Origin = (Origin)value[0];
        return default;
    }

    /// <summary>RFC 7606 §7.2: a malformed AS_PATH is treat-as-withdraw.</summary>
    private static BgpError DecodeAsPath(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        var asnSize = set.Options.FourOctetAsn ? 4 : 2;
        if (!AsPathCodec.TryRead(value, asnSize, out var path))
        {
            return Malformed(UpdateSubcode.MalformedAsPath, ErrorAction.TreatAsWithdraw, BgpErrorReason.MalformedAsPath);
        }
        if (HasAsZero(path))
        {
            // RFC 7607 §2: AS 0 in AS_PATH is malformed too.
            return Malformed(UpdateSubcode.MalformedAsPath, ErrorAction.TreatAsWithdraw, BgpErrorReason.AsZero);
        }
        set.AsPath = path;
        return default;
    }

    private static bool HasAsZero(AsPath path)
    {
        foreach (var segment in path.Segments)
        {
            if (segment.Asns.AsSpan().Contains(0u))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// RFC 7606 §7.3: length 4; RFC 4271 §6.3 semantic checks (0/8, loopback, multicast and
    /// class E are not next hops): treat-as-withdraw.
    /// </summary>
    private static BgpError DecodeNextHop(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length != 4)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        var first = value[0];
        if (first == 0 || first == 127 || first >= 224)
        {
            return Malformed(UpdateSubcode.InvalidNextHopAttribute, ErrorAction.TreatAsWithdraw, BgpErrorReason.InvalidNextHop);
        }
        set.NextHop = new IPAddress(value);
        return default;
    }

    /// <summary>RFC 7606 §7.4.</summary>
    private static BgpError DecodeMed(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length != 4)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        set.MultiExitDisc = BinaryPrimitives.ReadUInt32BigEndian(value);
        return default;
    }

    /// <summary>RFC 7606 §7.5: from an external peer discarded whatever it holds; else length 4.</summary>
    private static BgpError DecodeLocalPref(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (set.Options.ExternalPeer)
        {
            return Malformed(UpdateSubcode.Unspecific, ErrorAction.AttributeDiscard, BgpErrorReason.LocalPrefFromExternalPeer);
        }
        if (value.Length != 4)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        set.LocalPref = BinaryPrimitives.ReadUInt32BigEndian(value);
        return default;
    }

    /// <summary>RFC 7606 §7.6: length 0, else attribute discard.</summary>
    private static BgpError DecodeAtomicAggregate(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            return LengthError(ErrorAction.AttributeDiscard);
        }
        set.AtomicAggregate = true;
        return default;
    }

    /// <summary>RFC 7606 §7.7: 6 octets (2-octet session) or 8 (4-octet), else discard; RFC 7607 §2: AS 0 discard.</summary>
    private static BgpError DecodeAggregator(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        var asnSize = set.Options.FourOctetAsn ? 4 : 2;
        if (value.Length != asnSize + 4)
        {
            return LengthError(ErrorAction.AttributeDiscard);
        }
        var asn = asnSize == 4 ? BinaryPrimitives.ReadUInt32BigEndian(value) : BinaryPrimitives.ReadUInt16BigEndian(value);
        if (asn == 0)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.AsZero);
        }
        set.Aggregator = new Aggregator(asn, BinaryPrimitives.ReadUInt32BigEndian(value[asnSize..]));
        return default;
    }

    /// <summary>RFC 7606 §7.8: a non-zero multiple of 4, else treat-as-withdraw.</summary>
    private static BgpError DecodeCommunities(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (!TryReadArray(value, 4, static v => new Community(BinaryPrimitives.ReadUInt32BigEndian(v)), out var items))
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.TreatAsWithdraw, BgpErrorReason.MalformedCommunities);
        }
        set.Communities = items;
        return default;
    }

    /// <summary>RFC 7606 §7.9: length 4; from an external peer discard, else treat-as-withdraw.</summary>
    private static BgpError DecodeOriginatorId(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length != 4)
        {
            return LengthError(set.Options.ExternalPeer ? ErrorAction.AttributeDiscard : ErrorAction.TreatAsWithdraw);
        }
        set.OriginatorId = BinaryPrimitives.ReadUInt32BigEndian(value);
        return default;
    }

    /// <summary>RFC 7606 §7.10: a non-zero multiple of 4; from an external peer discard, else treat-as-withdraw.</summary>
    private static BgpError DecodeClusterList(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (!TryReadArray(value, 4, static v => BinaryPrimitives.ReadUInt32BigEndian(v), out var items))
        {
            return LengthError(set.Options.ExternalPeer ? ErrorAction.AttributeDiscard : ErrorAction.TreatAsWithdraw);
        }
        set.ClusterList = items;
        return default;
    }

    /// <summary>RFC 7606 §7.14: a non-zero multiple of 8, else treat-as-withdraw.</summary>
    private static BgpError DecodeExtendedCommunities(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (!TryReadArray(value, 8, static v => new ExtendedCommunity(BinaryPrimitives.ReadUInt64BigEndian(v)), out var items))
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.TreatAsWithdraw, BgpErrorReason.MalformedCommunities);
        }
        set.ExtendedCommunities = items;
        return default;
    }

    /// <summary>RFC 8092 §6: a non-zero multiple of 12, else treat-as-withdraw.</summary>
    private static BgpError DecodeLargeCommunities(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (!TryReadArray(value, 12, static v => new LargeCommunity(
                BinaryPrimitives.ReadUInt32BigEndian(v), BinaryPrimitives.ReadUInt32BigEndian(v[4..]), BinaryPrimitives.ReadUInt32BigEndian(v[8..])), out var items))
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.TreatAsWithdraw, BgpErrorReason.MalformedCommunities);
        }
        set.LargeCommunities = items;
        return default;
    }

    /// <summary>
    /// A value made of fixed-size entries: a non-zero multiple of <paramref name="unit"/> octets
    /// (RFC 7606 §7.8, §7.10, §7.14; RFC 8092 §6).
    /// </summary>
    private static bool TryReadArray<T>(ReadOnlySpan<byte> value, int unit, Func<ReadOnlySpan<byte>, T> read, out T[] items)
    {
        items = [];
        if (value.IsEmpty || value.Length % unit != 0)
        {
            return false;
        }
        items = new T[value.Length / unit];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = read(value.Slice(unit * i, unit));
        }
        return true;
    }

    /// <summary>
    /// RFC 6793 §6: between two 4-octet speakers AS4_PATH is discarded unread; from a 2-octet
    /// speaker a malformed one is discarded, and confederation segments in it are dropped.
    /// </summary>
    private static BgpError DecodeAs4Path(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (set.Options.FourOctetAsn)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.As4AttributeFromNewSpeaker);
        }
        if (value.Length < 6 || !AsPathCodec.TryRead(value, 4, out var path))
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.MalformedAs4Path);
        }
        if (HasAsZero(path))
        {
            // RFC 7607 §2 and RFC 6793 §6: AS 0 in AS4_PATH makes it malformed; it must not reach
            // the merged path.
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.AsZero);
        }
        set.SetAs4(As4Merge.WithoutConfederations(path), null);
        return default;
    }

    /// <summary>RFC 6793 §6: as AS4_PATH; length 8.</summary>
    private static BgpError DecodeAs4Aggregator(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (set.Options.FourOctetAsn)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.As4AttributeFromNewSpeaker);
        }
        if (value.Length != 8)
        {
            return LengthError(ErrorAction.AttributeDiscard);
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(value) == 0)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.AsZero); // RFC 7607 §2
        }
        set.SetAs4(null, new Aggregator(BinaryPrimitives.ReadUInt32BigEndian(value), BinaryPrimitives.ReadUInt32BigEndian(value[4..])));
        return default;
    }

    private static BgpError KeepMultipleOf(ref AttributeSet set, ReadOnlySpan<byte> value, AttributeType type, int unit)
    {
        if (value.IsEmpty || value.Length % unit != 0)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        set.AddOther((byte)type, value);
        return default;
    }

    /// <summary>
    /// RFC 9012 §2: Tunnel TLVs of Type(2) Length(2) Value, each value a run of sub-TLVs of
    /// Type(1) Length(1, or 2 when the type is ≥ 128). Malformed: treat-as-withdraw (§13).
    /// </summary>
    private static BgpError ValidateTunnelEncapsulation(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        var rest = value;
        var ok = !rest.IsEmpty;
        while (ok && !rest.IsEmpty)
        {
            ok = rest.Length >= 4 && rest.Length >= 4 + BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (!ok)
            {
                break;
            }
            var tlv = rest.Slice(4, BinaryPrimitives.ReadUInt16BigEndian(rest[2..]));
            rest = rest[(4 + tlv.Length)..];
            while (ok && !tlv.IsEmpty)
            {
                var header = tlv[0] >= 128 ? 3 : 2;
                ok = tlv.Length >= header;
                if (!ok)
                {
                    break;
                }
                var length = header == 3 ? BinaryPrimitives.ReadUInt16BigEndian(tlv[1..]) : tlv[1];
                ok = tlv.Length >= header + length;
                tlv = ok ? tlv[(header + length)..] : default;
            }
        }
        if (!ok)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.TreatAsWithdraw, BgpErrorReason.MalformedOptionalAttribute);
        }
        set.AddOther((byte)AttributeType.TunnelEncapsulation, value);
        return default;
    }

    /// <summary>RFC 7311 §3–4: TLVs of Type(1) Length(2, includes the header); AIGP TLV (type 1) is 11 octets. Malformed: discard.</summary>
    private static BgpError ValidateAigp(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        var rest = value;
        var ok = !rest.IsEmpty;
        while (ok && !rest.IsEmpty)
        {
            ok = rest.Length >= 3;
            if (!ok)
            {
                break;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            ok = length >= 3 && length <= rest.Length && (rest[0] != 1 || length == 11);
            rest = ok ? rest[length..] : default;
        }
        if (!ok)
        {
            return Malformed(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.MalformedOptionalAttribute);
        }
        set.AddOther((byte)AttributeType.Aigp, value);
        return default;
    }

    /// <summary>RFC 9234 §5: Only to Customer is a 4-octet AS; malformed: treat-as-withdraw.</summary>
    private static BgpError ValidateOnlyToCustomer(ref AttributeSet set, ReadOnlySpan<byte> value)
    {
        if (value.Length != 4)
        {
            return LengthError(ErrorAction.TreatAsWithdraw);
        }
        set.AddOther((byte)AttributeType.OnlyToCustomer, value);
        return default;
    }
}
