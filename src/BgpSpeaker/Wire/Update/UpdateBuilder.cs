using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// Turns routes into the fewest UPDATE messages: prefixes that share attributes travel together,
/// each message carries as many NLRI as fit the negotiated size (RFC 4271 §4.3, RFC 8654), IPv6
/// goes in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760), and withdrawals are packed the same way.
/// The attributes of a group are encoded once into a reused scratch buffer and copied into each
/// message, so steady-state encoding allocates nothing per message.
/// </summary>
public sealed class UpdateBuilder
{
    /// <summary>Withdrawn Routes Length(2) + Total Path Attribute Length(2).</summary>
    private const int UpdateFixedLength = BgpHeader.Length + 4;

    /// <summary>AFI(2) SAFI(1) of MP_UNREACH_NLRI.</summary>
    private const int MpUnreachFixed = 3;

    private readonly CodecOptions _options;
    private byte[] _scratch = [];

    public UpdateBuilder(CodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public CodecOptions Options => _options;

    /// <summary>
    /// Announces <paramref name="nlri"/> with <paramref name="attributes"/>. For IPv4 unicast the
    /// attributes carry NEXT_HOP and the prefixes go in the NLRI field; for any other family the
    /// attributes carry an <see cref="MpReach"/> (family and next hops; its own NLRI list is
    /// ignored) and the prefixes go inside it. Returns the number of messages written.
    /// </summary>
    public int WriteAnnouncements(IBufferWriter<byte> output, PathAttributes attributes, ReadOnlySpan<Nlri> nlri) =>
        Announce(output, attributes, nlri, long.MaxValue, out _);

    /// <summary>
    /// The Adj-RIB-Out's form: bare prefixes (path identifier 0), and whole messages only while
    /// fewer than <paramref name="maxBytes"/> octets are written (at least one message), so a
    /// budget never makes an UPDATE smaller than it could be. <paramref name="consumed"/> says how
    /// many prefixes went out.
    /// </summary>
    internal int WriteAnnouncements(IBufferWriter<byte> output, PathAttributes attributes, ReadOnlySpan<IpPrefix> prefixes, long maxBytes, out int consumed) =>
        Announce(output, attributes, prefixes, maxBytes, out consumed);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Announce<T>(IBufferWriter<byte> output, PathAttributes attributes, ReadOnlySpan<T> nlri, long maxBytes, out int consumed)
        where T : struct, INlriEntry
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(attributes);
        consumed = 0;
        if (nlri.IsEmpty)
        {
            return 0;
        }
        var reach = attributes.MpReach;
        var family = reach?.Family.Afi ?? Afi.IPv4;
        CheckFamily(nlri, family);
        var addPath = CodecOptions.Has(_options.AddPathSend, family);

        // Everything but MP_REACH_NLRI, encoded once.
        var rest = reach is null ? attributes : attributes with { MpReach = null };
        var writer = new AttributeWriter(rest, _options);
        var restLength = writer.MeasureWithoutMpReach();
        var scratch = Scratch(restLength);
        writer.Write(scratch, default, useOwnMpNlri: true);
        var restBytes = scratch.AsSpan(0, restLength);

        var max = _options.MaxMessageLength;
        var reachFixed = reach is null ? 0 : AttributeWriter.MpReachFixed(reach);
        var messages = 0;
        long written = 0;
        while (!nlri.IsEmpty && written < maxBytes)
        {
            // How many prefixes fit: the MP_REACH header grows by an octet once its value passes 255.
            var room = max - UpdateFixedLength - restLength;
            var count = 0;
            var nlriBytes = 0;
            while (count < nlri.Length)
            {
                var next = nlriBytes + NlriWriter.Size(nlri[count], addPath);
                var needed = reach is null ? next : AttributeWriter.MpReachSized(reachFixed + next);
                if (needed > room)
                {
                    break;
                }
                nlriBytes = next;
                count++;
            }
            if (count == 0)
            {
                throw new ArgumentException($"The attributes alone ({restLength} octets) leave no room for a prefix in a {max}-octet UPDATE.", nameof(attributes));
            }
            var batch = nlri[..count];
            var attributesLength = restLength + (reach is null ? 0 : AttributeWriter.MpReachSized(reachFixed + nlriBytes));
            var length = UpdateFixedLength + attributesLength + (reach is null ? nlriBytes : 0);
            var span = output.GetSpan(length)[..length];
            BgpHeader.Write(span, length, BgpMessageType.Update);
            var body = span[BgpHeader.Length..];
            BinaryPrimitives.WriteUInt16BigEndian(body, 0);
            BinaryPrimitives.WriteUInt16BigEndian(body[2..], (ushort)attributesLength);
            var at = 4;
            if (reach is not null)
            {
                // RFC 7606 §5.1: MP_REACH_NLRI first. Written directly: no attribute record per message.
                AttributeWriter.WriteMpReach(body, ref at, reach, batch, addPath);
            }
            restBytes.CopyTo(body[at..]);
            at += restLength;
            if (reach is null)
            {
                NlriWriter.Write(body[at..], batch, addPath);
            }
            output.Advance(length);
            messages++;
            written += length;
            consumed += count;
            nlri = nlri[count..];
        }
        return messages;
    }

    /// <summary>
    /// Withdraws <paramref name="nlri"/> of one family: IPv4 unicast in the Withdrawn Routes field,
    /// others in MP_UNREACH_NLRI. Returns the number of messages written.
    /// </summary>
    public int WriteWithdrawals(IBufferWriter<byte> output, AfiSafi family, ReadOnlySpan<Nlri> nlri) =>
        Withdraw(output, family, nlri, long.MaxValue, out _);

    /// <summary>Withdrawals of bare prefixes under a byte budget, as <see cref="WriteAnnouncements(IBufferWriter{byte}, PathAttributes, ReadOnlySpan{IpPrefix}, long, out int)"/>.</summary>
    internal int WriteWithdrawals(IBufferWriter<byte> output, AfiSafi family, ReadOnlySpan<IpPrefix> prefixes, long maxBytes, out int consumed) =>
        Withdraw(output, family, prefixes, maxBytes, out consumed);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Withdraw<T>(IBufferWriter<byte> output, AfiSafi family, ReadOnlySpan<T> nlri, long maxBytes, out int consumed)
        where T : struct, INlriEntry
    {
        ArgumentNullException.ThrowIfNull(output);
        consumed = 0;
        if (nlri.IsEmpty)
        {
            return 0;
        }
        CheckFamily(nlri, family.Afi);
        var addPath = CodecOptions.Has(_options.AddPathSend, family.Afi);
        var mp = family != AfiSafi.IPv4Unicast;
        var room = _options.MaxMessageLength - UpdateFixedLength;
        var messages = 0;
        long written = 0;
        while (!nlri.IsEmpty && written < maxBytes)
        {
            var count = 0;
            var nlriBytes = 0;
            while (count < nlri.Length)
            {
                var next = nlriBytes + NlriWriter.Size(nlri[count], addPath);
                if ((mp ? AttributeWriter.MpReachSized(MpUnreachFixed + next) : next) > room)
                {
                    break;
                }
                nlriBytes = next;
                count++;
            }
            var batch = nlri[..count];
            var attributesLength = mp ? AttributeWriter.MpReachSized(MpUnreachFixed + nlriBytes) : 0;
            var length = UpdateFixedLength + attributesLength + (mp ? 0 : nlriBytes);
            var span = output.GetSpan(length)[..length];
            BgpHeader.Write(span, length, BgpMessageType.Update);
            var body = span[BgpHeader.Length..];
            BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)(mp ? 0 : nlriBytes));
            if (mp)
            {
                BinaryPrimitives.WriteUInt16BigEndian(body[2..], (ushort)attributesLength);
                var at = 4;
                var value = AttributeWriter.Begin(body, ref at, AttributeFlags.Optional, AttributeType.MpUnreachNlri, MpUnreachFixed + nlriBytes);
                BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)family.Afi);
                value[2] = (byte)family.Safi;
                NlriWriter.Write(value[MpUnreachFixed..], batch, addPath);
            }
            else
            {
                NlriWriter.Write(body[2..], batch, addPath);
                BinaryPrimitives.WriteUInt16BigEndian(body[(2 + nlriBytes)..], 0);
            }
            output.Advance(length);
            messages++;
            written += length;
            consumed += count;
            nlri = nlri[count..];
        }
        return messages;
    }

    /// <summary>The End-of-RIB marker of a family (RFC 4724 §2).</summary>
    public int WriteEndOfRib(IBufferWriter<byte> output, AfiSafi family)
    {
        MessageWriter.Write(output, UpdateMessage.EndOfRib(family), _options);
        return 1;
    }

    /// <summary>
    /// A whole change set: withdrawals (any mix of IPv4 and IPv6) first, then announcements
    /// grouped by identical attributes, in the order each attribute set was first seen.
    /// </summary>
    public int Write(IBufferWriter<byte> output, IEnumerable<Nlri> withdrawals, IEnumerable<KeyValuePair<Nlri, PathAttributes>> announcements)
    {
        ArgumentNullException.ThrowIfNull(withdrawals);
        ArgumentNullException.ThrowIfNull(announcements);
        var messages = 0;
        var v4 = new List<Nlri>();
        var v6 = new List<Nlri>();
        foreach (var nlri in withdrawals)
        {
            (nlri.Prefix.Family == Afi.IPv4 ? v4 : v6).Add(nlri);
        }
        messages += WriteWithdrawals(output, AfiSafi.IPv4Unicast, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v4));
        messages += WriteWithdrawals(output, AfiSafi.IPv6Unicast, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v6));

        // Callers share one PathAttributes instance among many routes: group by reference first
        // (no hashing of the record per route), then merge instances equal by value.
        var byInstance = new Dictionary<PathAttributes, List<Nlri>>(ReferenceEqualityComparer.Instance);
        var instances = new List<PathAttributes>();
        foreach (var (nlri, attributes) in announcements)
        {
            if (!byInstance.TryGetValue(attributes, out var list))
            {
                byInstance.Add(attributes, list = []);
                instances.Add(attributes);
            }
            list.Add(nlri);
        }
        var byValue = new Dictionary<PathAttributes, List<Nlri>>(instances.Count);
        var order = new List<PathAttributes>(instances.Count);
        foreach (var attributes in instances)
        {
            if (byValue.TryGetValue(attributes, out var list))
            {
                list.AddRange(byInstance[attributes]);
            }
            else
            {
                byValue.Add(attributes, byInstance[attributes]);
                order.Add(attributes);
            }
        }
        foreach (var attributes in order)
        {
            messages += WriteAnnouncements(output, attributes, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(byValue[attributes]));
        }
        return messages;
    }

    private byte[] Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, BgpHeader.MaxMessageLength)];
        }
        return _scratch;
    }

    private static void CheckFamily<T>(ReadOnlySpan<T> nlri, Afi family)
        where T : struct, INlriEntry
    {
        foreach (ref readonly var entry in nlri)
        {
            if (entry.Prefix.Family != family)
            {
                throw new ArgumentException($"Prefix {entry.Prefix} is not {family}: one call carries one address family.", nameof(nlri));
            }
        }
    }
}
