using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Encodes <see cref="PathAttributes"/>. Order: MP_UNREACH_NLRI and MP_REACH_NLRI first
/// (RFC 7606 §5.1), then ascending type code (RFC 4271 §5); the Extended Length bit only when a
/// value exceeds 255 octets. On a 2-octet session, 4-octet ASes go out as AS_TRANS with
/// AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2).
/// </summary>
internal readonly ref struct AttributeWriter
{
    private const AttributeFlags WellKnown = AttributeFlags.Transitive;
    private const AttributeFlags OptionalTransitive = AttributeFlags.Optional | AttributeFlags.Transitive;
    private const AttributeFlags OptionalNonTransitive = AttributeFlags.Optional;

    private readonly PathAttributes _attributes;
    private readonly CodecOptions _options;
    private readonly int _asnSize;
    private readonly bool _needAs4Path;
    private readonly bool _needAs4Aggregator;

    public AttributeWriter(PathAttributes attributes, CodecOptions options)
    {
        _attributes = attributes;
        _options = options;
        _asnSize = options.FourOctetAsn ? 4 : 2;
        _needAs4Path = !options.FourOctetAsn && attributes.AsPath is { HasFourOctetAsn: true };
        // RFC 6793 §4.2.3 makes a receiver ignore AS4_PATH when AGGREGATOR is not AS_TRANS, so
        // whenever AS4_PATH goes out the aggregator travels as AS_TRANS + AS4_AGGREGATOR too
        // (§4.2.2 requires it only for a 4-octet aggregating AS; without it the path would be lost).
        _needAs4Aggregator = !options.FourOctetAsn && attributes.Aggregator is { } aggregator && (aggregator.Asn > ushort.MaxValue || _needAs4Path);
    }

    private static int Header(int valueLength) => valueLength > byte.MaxValue ? 4 : 3;

    private static int Sized(int valueLength) => Header(valueLength) + valueLength;

    /// <summary>Bytes of every attribute except MP_REACH_NLRI.</summary>
    public int MeasureWithoutMpReach()
    {
        var a = _attributes;
        var size = 0;
        if (a.MpUnreach is { } unreach)
        {
            size += Sized(3 + NlriWriter.Size(unreach.Withdrawn.AsSpan(), AddPath(unreach.Family.Afi)));
        }
        size += a.Origin.HasValue ? Sized(1) : 0;
        size += a.AsPath is { } path ? Sized(AsPathCodec.WireLength(path, _asnSize)) : 0;
        size += a.NextHop is not null ? Sized(4) : 0;
        size += a.MultiExitDisc.HasValue ? Sized(4) : 0;
        size += a.LocalPref.HasValue ? Sized(4) : 0;
        size += a.AtomicAggregate ? Sized(0) : 0;
        size += a.Aggregator.HasValue ? Sized(_asnSize + 4) : 0;
        size += a.Communities.IsEmpty ? 0 : Sized(4 * a.Communities.Count);
        size += a.OriginatorId.HasValue ? Sized(4) : 0;
        size += a.ClusterList.IsEmpty ? 0 : Sized(4 * a.ClusterList.Count);
        size += a.ExtendedCommunities.IsEmpty ? 0 : Sized(8 * a.ExtendedCommunities.Count);
        size += _needAs4Path ? Sized(AsPathCodec.WireLength(As4Merge.WithoutConfederations(a.AsPath!.Value), 4)) : 0;
        size += _needAs4Aggregator ? Sized(8) : 0;
        size += a.LargeCommunities.IsEmpty ? 0 : Sized(12 * a.LargeCommunities.Count);
        foreach (var other in a.Other)
        {
            size += Sized(other.Value.Count);
        }
        return size;
    }

    /// <summary>MP_REACH_NLRI value length before its NLRI: AFI SAFI NH-len NH Reserved.</summary>
    public static int MpReachFixed(MpReach reach) => 5 + reach.NextHopLength;

    private bool AddPath(Afi afi) => CodecOptions.Has(_options.AddPathSend, afi);

    /// <summary>
    /// Writes all attributes; MP_REACH_NLRI (if any) carries <paramref name="mpNlri"/> instead of
    /// its own list when given, so the builder can split one attribute set over many messages.
    /// </summary>
    public int Write(Span<byte> destination, ReadOnlySpan<Nlri> mpNlri, bool useOwnMpNlri)
    {
        var a = _attributes;
        var at = 0;
        if (a.MpUnreach is { } unreach)
        {
            var addPath = AddPath(unreach.Family.Afi);
            var length = 3 + NlriWriter.Size(unreach.Withdrawn.AsSpan(), addPath);
            var value = Begin(destination, ref at, OptionalNonTransitive, AttributeType.MpUnreachNlri, length);
            WriteFamily(value, unreach.Family);
            NlriWriter.Write(value[3..], unreach.Withdrawn.AsSpan(), addPath);
        }
        if (a.MpReach is { } reach)
        {
            WriteMpReach(destination, ref at, reach, useOwnMpNlri ? reach.Nlri.AsSpan() : mpNlri, AddPath(reach.Family.Afi));
        }
        var others = a.Other.AsSpan();
        var next = 0;
        static void FlushOthersBelow(Span<byte> dst, ref int pos, int type, ReadOnlySpan<RawAttribute> list, ref int index)
        {
            while (index < list.Length && list[index].TypeCode < type)
            {
                var raw = list[index++];
                var value = Begin(dst, ref pos, raw.Flags, (AttributeType)raw.TypeCode, raw.Value.Count);
                raw.Value.AsSpan().CopyTo(value);
            }
        }
        var sortedOthers = others.Length <= 1 || IsSorted(others) ? others : Sorted(others);

        FlushOthersBelow(destination, ref at, (int)AttributeType.Origin, sortedOthers, ref next);
        if (a.Origin is { } origin)
        {
            Begin(destination, ref at, WellKnown, AttributeType.Origin, 1)[0] = (byte)origin;
        }
        if (a.AsPath is { } path)
        {
            AsPathCodec.Write(Begin(destination, ref at, WellKnown, AttributeType.AsPath, AsPathCodec.WireLength(path, _asnSize)), path, _asnSize);
        }
        if (a.NextHop is { } nextHop)
        {
            nextHop.TryWriteBytes(Begin(destination, ref at, WellKnown, AttributeType.NextHop, 4), out _);
        }
        if (a.MultiExitDisc is { } med)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Begin(destination, ref at, OptionalNonTransitive, AttributeType.MultiExitDisc, 4), med);
        }
        if (a.LocalPref is { } localPref)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Begin(destination, ref at, WellKnown, AttributeType.LocalPref, 4), localPref);
        }
        if (a.AtomicAggregate)
        {
            Begin(destination, ref at, WellKnown, AttributeType.AtomicAggregate, 0);
        }
        if (a.Aggregator is { } aggregator)
        {
            var value = Begin(destination, ref at, OptionalTransitive, AttributeType.Aggregator, _asnSize + 4);
            if (_asnSize == 4)
            {
                BinaryPrimitives.WriteUInt32BigEndian(value, aggregator.Asn);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(value, _needAs4Aggregator ? OpenMessage.AsTrans : (ushort)aggregator.Asn);
            }
            BinaryPrimitives.WriteUInt32BigEndian(value[_asnSize..], aggregator.Address);
        }
        if (!a.Communities.IsEmpty)
        {
            var value = Begin(destination, ref at, OptionalTransitive, AttributeType.Communities, 4 * a.Communities.Count);
            for (var i = 0; i < a.Communities.Count; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(value[(4 * i)..], a.Communities[i].Value);
            }
        }
        if (a.OriginatorId is { } originator)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Begin(destination, ref at, OptionalNonTransitive, AttributeType.OriginatorId, 4), originator);
        }
        if (!a.ClusterList.IsEmpty)
        {
            var value = Begin(destination, ref at, OptionalNonTransitive, AttributeType.ClusterList, 4 * a.ClusterList.Count);
            for (var i = 0; i < a.ClusterList.Count; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(value[(4 * i)..], a.ClusterList[i]);
            }
        }
        FlushOthersBelow(destination, ref at, (int)AttributeType.ExtendedCommunities, sortedOthers, ref next);
        if (!a.ExtendedCommunities.IsEmpty)
        {
            var value = Begin(destination, ref at, OptionalTransitive, AttributeType.ExtendedCommunities, 8 * a.ExtendedCommunities.Count);
            for (var i = 0; i < a.ExtendedCommunities.Count; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(value[(8 * i)..], a.ExtendedCommunities[i].Value);
            }
        }
        if (_needAs4Path)
        {
            var path4 = As4Merge.WithoutConfederations(a.AsPath!.Value);
            AsPathCodec.Write(Begin(destination, ref at, OptionalTransitive, AttributeType.As4Path, AsPathCodec.WireLength(path4, 4)), path4, 4);
        }
        if (_needAs4Aggregator)
        {
            var value = Begin(destination, ref at, OptionalTransitive, AttributeType.As4Aggregator, 8);
            BinaryPrimitives.WriteUInt32BigEndian(value, a.Aggregator!.Value.Asn);
            BinaryPrimitives.WriteUInt32BigEndian(value[4..], a.Aggregator.Value.Address);
        }
        FlushOthersBelow(destination, ref at, (int)AttributeType.LargeCommunity, sortedOthers, ref next);
        if (!a.LargeCommunities.IsEmpty)
        {
            var value = Begin(destination, ref at, OptionalTransitive, AttributeType.LargeCommunity, 12 * a.LargeCommunities.Count);
            for (var i = 0; i < a.LargeCommunities.Count; i++)
            {
                var c = a.LargeCommunities[i];
                BinaryPrimitives.WriteUInt32BigEndian(value[(12 * i)..], c.GlobalAdministrator);
                BinaryPrimitives.WriteUInt32BigEndian(value[((12 * i) + 4)..], c.LocalData1);
                BinaryPrimitives.WriteUInt32BigEndian(value[((12 * i) + 8)..], c.LocalData2);
            }
        }
        FlushOthersBelow(destination, ref at, 256, sortedOthers, ref next);
        return at;
    }

    /// <summary>
    /// Writes MP_REACH_NLRI carrying <paramref name="nlri"/> (not the list in <paramref name="reach"/>),
    /// so the builder can put each batch of one attribute set in its own message without allocating.
    /// </summary>
    internal static void WriteMpReach<T>(Span<byte> destination, ref int at, MpReach reach, ReadOnlySpan<T> nlri, bool addPath)
        where T : struct, INlriEntry
    {
        var length = MpReachFixed(reach) + NlriWriter.Size(nlri, addPath);
        var value = Begin(destination, ref at, OptionalNonTransitive, AttributeType.MpReachNlri, length);
        WriteFamily(value, reach.Family);
        value[3] = (byte)reach.NextHopLength;
        reach.NextHop.TryWriteBytes(value[4..], out var written);
        if (reach.LinkLocalNextHop is { } linkLocal)
        {
            linkLocal.TryWriteBytes(value[(4 + written)..], out _);
        }
        value[4 + reach.NextHopLength] = 0; // RFC 4760 §3: Reserved, set to 0.
        NlriWriter.Write(value[MpReachFixed(reach)..], nlri, addPath);
    }

    private static bool IsSorted(ReadOnlySpan<RawAttribute> others)
    {
        for (var i = 1; i < others.Length; i++)
        {
            if (others[i].TypeCode < others[i - 1].TypeCode)
            {
                return false;
            }
        }
        return true;
    }

    private static RawAttribute[] Sorted(ReadOnlySpan<RawAttribute> others)
    {
        var copy = others.ToArray();
        // Stable, so that two attributes of one type keep their order.
        return [.. copy.OrderBy(o => o.TypeCode)];
    }

    private static void WriteFamily(Span<byte> value, AfiSafi family)
    {
        BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)family.Afi);
        value[2] = (byte)family.Safi;
    }

    /// <summary>Writes Flags Type Length and returns the value's slot (RFC 4271 §4.3).</summary>
    internal static Span<byte> Begin(Span<byte> destination, ref int at, AttributeFlags flags, AttributeType type, int length)
    {
        var extended = length > byte.MaxValue;
        flags = (flags & ~AttributeFlags.ExtendedLength) | (extended ? AttributeFlags.ExtendedLength : 0);
        destination[at] = (byte)flags;
        destination[at + 1] = (byte)type;
        if (extended)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], (ushort)length);
            at += 4;
        }
        else
        {
            destination[at + 2] = (byte)length;
            at += 3;
        }
        var value = destination.Slice(at, length);
        at += length;
        return value;
    }

    public static int Measure(PathAttributes attributes, CodecOptions options)
    {
        var writer = new AttributeWriter(attributes, options);
        var size = writer.MeasureWithoutMpReach();
        if (attributes.MpReach is { } reach)
        {
            size += Sized(MpReachFixed(reach) + NlriWriter.Size(reach.Nlri.AsSpan(), CodecOptions.Has(options.AddPathSend, reach.Family.Afi)));
        }
        return size;
    }

    internal static int MpReachSized(int valueLength) => Sized(valueLength);
}
