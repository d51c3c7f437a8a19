using System.Buffers;
using System.Net;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Wire;

public sealed class UpdateBuilderTests
{
    private static readonly CodecOptions Session = new() { FourOctetAsn = true };

    private static readonly PathAttributes V4 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(65001),
        NextHop = IPAddress.Parse("192.0.2.1"),
        Communities = new[] { Community.Of(65001, 100) },
    };

    private static readonly PathAttributes V6 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(65001),
        MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::1"), IPAddress.Parse("fe80::1"), default),
    };

    private static List<UpdateMessage> DecodeStream(ReadOnlyMemory<byte> written, CodecOptions options, int maxLength)
    {
        var sequence = new ReadOnlySequence<byte>(written);
        var result = new List<UpdateMessage>();
        while (!sequence.IsEmpty)
        {
            Assert.True(MessageReader.TryReadHeader(sequence, options, out var length, out _, out _) == OperationStatus.Done);
            Assert.True(length <= maxLength);
            Assert.Equal(OperationStatus.Done, MessageReader.TryRead(ref sequence, options, out var message, out var error));
            Assert.Equal(ErrorAction.None, error.Action);
            result.Add(Assert.IsType<UpdateMessage>(message));
        }
        return result;
    }

    private static Nlri[] V4Hosts(int count) =>
        Enumerable.Range(0, count).Select(i => new Nlri(IpPrefix.V4(0xC6120000u + (uint)i, 32))).ToArray();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(809, 1)]   // (4096 - 23 header+lengths - 27 attributes) / 5 = 809.2: 809 /32s fit
    [InlineData(810, 2)]
    [InlineData(100000, 124)]
    public void Ipv4_hosts_fill_each_4096_octet_update_before_starting_the_next(int routes, int expectedMessages)
    {
        var output = new ArrayBufferWriter<byte>();
        var prefixes = V4Hosts(routes);
        var messages = new UpdateBuilder(Session).WriteAnnouncements(output, V4, prefixes);
        var decoded = DecodeStream(output.WrittenMemory, Session, BgpHeader.MaxMessageLength);
        Assert.Equal(decoded.Count, messages);
        Assert.Equal(prefixes, decoded.SelectMany(u => u.Nlri));
        Assert.All(decoded, u => Assert.Equal(V4, u.Attributes));
        // Fewest messages: every message but the last is full (one more /32 would not fit).
        Assert.All(decoded.SkipLast(1), u => Assert.True(MessageWriter.Measure(u, Session) + 5 > BgpHeader.MaxMessageLength));
        Assert.Equal(expectedMessages, messages);
    }

    [Fact]
    public void Ipv6_routes_travel_in_mp_reach_first_and_fill_extended_messages()
    {
        var options = CodecOptions.Modern;
        var prefixes = Enumerable.Range(0, 20000).Select(i => new Nlri(IpPrefix.V6(new UInt128(0x20010db8ffff0000UL, (ulong)i), 128))).ToArray();
        var output = new ArrayBufferWriter<byte>();
        var messages = new UpdateBuilder(options).WriteAnnouncements(output, V6, prefixes);
        var decoded = DecodeStream(output.WrittenMemory, options, BgpHeader.ExtendedMaxMessageLength);
        Assert.Equal(messages, decoded.Count);
        Assert.Equal(prefixes, decoded.SelectMany(u => u.Attributes.MpReach!.Nlri));
        Assert.All(decoded, u => Assert.Equal(V6 with { MpReach = V6.MpReach! with { Nlri = u.Attributes.MpReach!.Nlri } }, u.Attributes));
        Assert.All(decoded.SkipLast(1), u => Assert.True(MessageWriter.Measure(u, options) + 17 > BgpHeader.ExtendedMaxMessageLength));
        // RFC 7606 §5.1: MP_REACH_NLRI is the first attribute.
        Assert.Equal((byte)AttributeType.MpReachNlri, Codec.SplitAttributes(output.WrittenSpan[..MessageWriter.Measure(decoded[0], options)].ToArray())[0].Type);
    }

    [Fact]
    public void Withdrawals_of_both_families_are_packed_like_announcements()
    {
        var v4 = V4Hosts(2000);
        var v6 = Enumerable.Range(0, 500).Select(i => new Nlri(IpPrefix.V6(new UInt128(0x20010db8ffff0000UL, (ulong)i), 128))).ToArray();
        var output = new ArrayBufferWriter<byte>();
        var messages = new UpdateBuilder(Session).Write(output, v4.Concat(v6), []);
        var decoded = DecodeStream(output.WrittenMemory, Session, BgpHeader.MaxMessageLength);
        Assert.Equal(messages, decoded.Count);
        Assert.Equal(v4, decoded.SelectMany(u => u.Withdrawn));
        Assert.Equal(v6, decoded.SelectMany(u => u.Attributes.MpUnreach?.Withdrawn ?? default));
        Assert.Equal(3 + 3, messages); // ceil(2000*5/4073) IPv4 + ceil(500*17/4066) IPv6
    }

    [Fact]
    public void Routes_are_grouped_by_identical_attributes() =>
        Gen.Select(Gen.Int[1, 300], Gen.Int[1, 5], (n, groups) => (n, groups)).Sample(x =>
        {
            var routes = V4Hosts(x.n).Select((p, i) => KeyValuePair.Create(p, V4 with { MultiExitDisc = (uint)(i % x.groups) })).ToArray();
            var output = new ArrayBufferWriter<byte>();
            var messages = new UpdateBuilder(Session).Write(output, [], routes);
            var decoded = DecodeStream(output.WrittenMemory, Session, BgpHeader.MaxMessageLength);
            Assert.Equal(Math.Min(x.n, x.groups), messages); // every group fits one message
            Assert.Equal(routes.OrderBy(r => r.Key.Prefix), decoded.SelectMany(u => u.Nlri.Select(n => KeyValuePair.Create(n, u.Attributes))).OrderBy(r => r.Key.Prefix));
        }, iter: 200);

    [Fact]
    public void Add_path_identifiers_are_written_when_negotiated()
    {
        var options = Session with { AddPathSend = AddPathFamilies.IPv4Unicast, AddPathReceive = AddPathFamilies.IPv4Unicast };
        var prefixes = V4Hosts(3).Select((n, i) => n with { PathId = (uint)i + 1 }).ToArray();
        var output = new ArrayBufferWriter<byte>();
        new UpdateBuilder(options).WriteAnnouncements(output, V4, prefixes);
        Assert.Equal(prefixes, Assert.Single(DecodeStream(output.WrittenMemory, options, BgpHeader.MaxMessageLength)).Nlri);
    }

    [Fact]
    public void End_of_rib_is_written_per_family()
    {
        var output = new ArrayBufferWriter<byte>();
        var builder = new UpdateBuilder(Session);
        builder.WriteEndOfRib(output, AfiSafi.IPv4Unicast);
        builder.WriteEndOfRib(output, AfiSafi.IPv6Unicast);
        var decoded = DecodeStream(output.WrittenMemory, Session, BgpHeader.MaxMessageLength);
        Assert.True(decoded[0].IsEndOfRib(out var first) && first == AfiSafi.IPv4Unicast);
        Assert.True(decoded[1].IsEndOfRib(out var second) && second == AfiSafi.IPv6Unicast);
    }

    [Fact]
    public void A_prefix_of_the_wrong_family_is_a_caller_error()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new UpdateBuilder(Session).WriteAnnouncements(new ArrayBufferWriter<byte>(), V4, new[] { new Nlri(IpPrefix.Parse("2001:db8:ffff::/48")) }));
        Assert.Contains("2001:db8:ffff::/48", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Steady_state_encoding_allocates_nothing_per_message()
    {
        var builder = new UpdateBuilder(Session);
        var prefixes = V4Hosts(8000);
        var output = new ArrayBufferWriter<byte>(1 << 20);
        builder.WriteAnnouncements(output, V4, prefixes); // warm up: scratch buffer, JIT
        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var messages = builder.WriteAnnouncements(output, V4, prefixes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(messages >= 10);
        Assert.True(allocated < 1024, $"{allocated} bytes for {messages} messages");
    }
}
