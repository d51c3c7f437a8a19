using System.Buffers.Binary;
using System.Net;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// The path attributes of one UPDATE being decoded: each attribute is checked against its table
/// row (flags, length, value) and the strongest RFC 7606 error is kept.
/// </summary>
internal ref struct AttributeSet
{
    private readonly CodecOptions _options;
    private SeenTypes _seen;

    // The attributes decoded so far; PathAttributes is built once, at the end.
    internal Origin? Origin;
    internal AsPath? AsPath;
    internal IPAddress? NextHop;
    internal uint? MultiExitDisc;
    internal uint? LocalPref;
    internal bool AtomicAggregate;
    internal Aggregator? Aggregator;
    internal ValueArray<Community> Communities;
    internal uint? OriginatorId;
    internal ValueArray<uint> ClusterList;
    internal MpReach? MpReach;
    internal MpUnreach? MpUnreach;
    internal ValueArray<ExtendedCommunity> ExtendedCommunities;
    internal ValueArray<LargeCommunity> LargeCommunities;
    private List<RawAttribute>? _other;
    private AsPath? _as4Path;
    private Aggregator? _as4Aggregator;
    private AttributeFlags _currentFlags;

    public AttributeSet(CodecOptions options)
    {
        _options = options;
    }

    public BgpError Worst { get; private set; }

    public void Read(ReadOnlySpan<byte> field)
    {
        while (!field.IsEmpty)
        {
            // RFC 7606 §4: fewer octets than an attribute header, or an attribute whose length
            // runs past the Total Path Attribute Length: treat-as-withdraw, and the Total Path
            // Attribute Length still locates the NLRI.
            var flags = (AttributeFlags)field[0];
            var headerLength = (flags & AttributeFlags.ExtendedLength) != 0 ? 4 : 3;
            if (field.Length < headerLength)
            {
                Report(BgpError.Update(UpdateSubcode.MalformedAttributeList, ErrorAction.TreatAsWithdraw, BgpErrorReason.AttributeHeaderTruncated));
                return;
            }
            var typeCode = field[1];
            int length = headerLength == 4 ? BinaryPrimitives.ReadUInt16BigEndian(field[2..]) : field[2];
            if (field.Length < headerLength + length)
            {
                Report(BgpError.Update(UpdateSubcode.AttributeLengthError, ErrorAction.TreatAsWithdraw, BgpErrorReason.AttributeLengthOverrun, field, typeCode));
                return;
            }
            var whole = field[..(headerLength + length)];
            var value = whole[headerLength..];
            field = field[whole.Length..];

            if (!_seen.Add(typeCode))
            {
                // RFC 7606 §3(g): a repeated MP_REACH/MP_UNREACH is a session reset (Malformed
                // Attribute List); any other repeat: keep the first, discard the rest.
                Report(typeCode is (byte)AttributeType.MpReachNlri or (byte)AttributeType.MpUnreachNlri
                    ? BgpError.Update(UpdateSubcode.MalformedAttributeList, ErrorAction.SessionReset, BgpErrorReason.DuplicateMpAttribute, default, typeCode)
                    : BgpError.Update(UpdateSubcode.MalformedAttributeList, ErrorAction.AttributeDiscard, BgpErrorReason.DuplicateAttribute, default, typeCode));
                continue;
            }
            ReadOne(flags, typeCode, value, whole);
        }
    }

    private void ReadOne(AttributeFlags flags, byte typeCode, ReadOnlySpan<byte> value, ReadOnlySpan<byte> whole)
    {
        // RFC 6793 §6: between two 4-octet speakers AS4_PATH and AS4_AGGREGATOR are discarded
        // unread, so not even their flags are judged.
        if (_options.FourOctetAsn && typeCode is (byte)AttributeType.As4Path or (byte)AttributeType.As4Aggregator)
        {
            Report(BgpError.Update(UpdateSubcode.OptionalAttributeError, ErrorAction.AttributeDiscard, BgpErrorReason.As4AttributeFromNewSpeaker, default, typeCode));
            return;
        }
        var row = AttributeTable.Find(typeCode);
        if (row is null)
        {
            if ((flags & AttributeFlags.Optional) == 0)
            {
                // RFC 4271 §6.3: an unrecognized well-known attribute; data = the attribute.
                // RFC 7606 leaves this a session reset.
                Report(BgpError.Update(UpdateSubcode.UnrecognizedWellKnownAttribute, ErrorAction.SessionReset, BgpErrorReason.UnrecognizedWellKnownAttribute, whole, typeCode));
                return;
            }
            // RFC 4271 §5 / §9: unrecognized optional attributes are kept (and, if transitive,
            // passed on with the Partial bit: PathAttributes.ForPropagation).
            AddOther(flags, typeCode, value);
            return;
        }
        // RFC 4271 §4.3: the low four flag bits are unused, "ignored when received".
        var category = flags & (AttributeFlags.Optional | AttributeFlags.Transitive);
        var partialMisused = (flags & AttributeFlags.Partial) != 0 && row.Category != (AttributeFlags.Optional | AttributeFlags.Transitive);
        if (category != row.Category || partialMisused)
        {
            // RFC 7606 §3(c): Optional/Transitive in conflict with the attribute's definition is
            // handled as a malformed attribute of that type. RFC 4271 §6.3 data: the attribute.
            // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded whatever it holds.
            var action = row.Type == AttributeType.LocalPref && _options.ExternalPeer ? ErrorAction.AttributeDiscard : row.OnMalformed;
            Report(BgpError.Update(UpdateSubcode.AttributeFlagsError, action, BgpErrorReason.AttributeFlagsInvalid, whole, typeCode));
            return;
        }
        _currentFlags = flags;
        var outcome = row.Decode(ref this, value);
        if (outcome.IsError)
        {
            Report(outcome with { AttributeType = typeCode, Data = outcome.Data.IsEmpty && outcome.Code == BgpErrorCode.Update ? whole.ToArray() : outcome.Data });
        }
    }

    internal void Report(in BgpError error) => Worst = Worst.Stronger(error);

    internal readonly CodecOptions Options => _options;

    internal void SetAs4(AsPath? path, Aggregator? aggregator)
    {
        _as4Path = path ?? _as4Path;
        _as4Aggregator = aggregator ?? _as4Aggregator;
    }

    /// <summary>Keeps an attribute opaque, with the flags it arrived with (extended length is a wire detail).</summary>
    internal void AddOther(byte typeCode, ReadOnlySpan<byte> value) => AddOther(_currentFlags, typeCode, value);

    private void AddOther(AttributeFlags flags, byte typeCode, ReadOnlySpan<byte> value) =>
        (_other ??= []).Add(new RawAttribute(flags & ~AttributeFlags.ExtendedLength & ~(AttributeFlags)0x0F, typeCode, value.ToArray()));

    /// <summary>
    /// RFC 7606 §3(d) and RFC 4760 §3: with reachable NLRI, ORIGIN and AS_PATH must be present,
    /// and NEXT_HOP too when the NLRI field (not MP_REACH_NLRI) carries them.
    /// </summary>
    public void CheckMandatory(bool hasNlri)
    {
        var reachable = hasNlri || MpReach is { Nlri.IsEmpty: false };
        if (!reachable)
        {
            return;
        }
        Require(Origin.HasValue, AttributeType.Origin);
        Require(AsPath.HasValue || _seen.Contains((byte)AttributeType.AsPath), AttributeType.AsPath);
        if (hasNlri)
        {
            Require(NextHop is not null || _seen.Contains((byte)AttributeType.NextHop), AttributeType.NextHop);
        }
    }

    private void Require(bool present, AttributeType type)
    {
        if (!present && !_seen.Contains((byte)type))
        {
            // RFC 4271 §6.3: data = the type code of the missing attribute.
            Report(BgpError.Update(UpdateSubcode.MissingWellKnownAttribute, ErrorAction.TreatAsWithdraw, BgpErrorReason.MissingWellKnownAttribute, [(byte)type], (byte)type));
        }
    }

    public readonly PathAttributes Build()
    {
        var result = new PathAttributes
        {
            Origin = Origin,
            AsPath = AsPath,
            NextHop = NextHop,
            MultiExitDisc = MultiExitDisc,
            LocalPref = LocalPref,
            AtomicAggregate = AtomicAggregate,
            Aggregator = Aggregator,
            Communities = Communities,
            OriginatorId = OriginatorId,
            ClusterList = ClusterList,
            MpReach = MpReach,
            MpUnreach = MpUnreach,
            ExtendedCommunities = ExtendedCommunities,
            LargeCommunities = LargeCommunities,
            Other = _other is null ? default(ValueArray<RawAttribute>) : SortedByType(_other),
        };
        return _options.FourOctetAsn ? result : As4Merge.Apply(result, _as4Path, _as4Aggregator);
    }

    /// <summary>
    /// Opaque attributes in type-code order, the order the writer sends them in, so that equal
    /// attribute sets compare equal however the peer ordered them. Stable: a type seen twice keeps
    /// its first occurrence first (though §3(g) already discarded repeats).
    /// </summary>
    private static RawAttribute[] SortedByType(List<RawAttribute> other)
    {
        var sorted = other.ToArray();
        if (sorted.Length > 1)
        {
            sorted = [.. sorted.OrderBy(a => a.TypeCode)];
        }
        return sorted;
    }

    /// <summary>A 256-bit set of attribute type codes seen, for RFC 7606 §3(g).</summary>
    private struct SeenTypes
    {
        private Words _words;

        public bool Add(byte type)
        {
            var bit = 1UL << (type & 63);
            if ((_words[type >> 6] & bit) != 0)
            {
                return false;
            }
            _words[type >> 6] |= bit;
            return true;
        }

        public readonly bool Contains(byte type) => (_words[type >> 6] & (1UL << (type & 63))) != 0;

        [System.Runtime.CompilerServices.InlineArray(4)]
        private struct Words
        {
            private ulong _word;
        }
    }
}
