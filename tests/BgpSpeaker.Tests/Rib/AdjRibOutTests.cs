using System.Buffers;
using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rib;

public sealed class AdjRibOutTests
{
    private static readonly CodecOptions Session = CodecOptions.Modern with { ExternalPeer = true };

    private static readonly PathAttributes V4 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(64512),
        NextHop = IPAddress.Parse("192.0.2.2"),
    };

    private static readonly PathAttributes V6 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(64512),
        MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::2"), null, default),
    };

    private static Nlri P(string prefix) => new(IpPrefix.Parse(prefix));

    /// <summary>A peer: applies the UPDATEs it receives to its own table, as a router would.</summary>
    private sealed class Peer
    {
        public Dictionary<Nlri, PathAttributes> Table { get; } = [];

        public int Receive(ReadOnlyMemory<byte> bytes)
        {
            var sequence = new ReadOnlySequence<byte>(bytes);
            var messages = 0;
            while (!sequence.IsEmpty)
            {
                Assert.Equal(OperationStatus.Done, MessageReader.TryRead(ref sequence, Session, out var message, out var error));
                Assert.Equal(ErrorAction.None, error.Action);
                var update = Assert.IsType<UpdateMessage>(message);
                foreach (var n in update.Withdrawn.Concat(update.Attributes.MpUnreach?.Withdrawn ?? default))
                {
                    Table.Remove(n);
                }
                var attributes = update.Attributes with { MpUnreach = null, MpReach = update.Attributes.MpReach is { } r ? r with { Nlri = default } : null };
                foreach (var n in update.Nlri.Concat(update.Attributes.MpReach?.Nlri ?? default))
                {
                    Table[n] = attributes;
                }
                messages++;
            }
            return messages;
        }
    }

    /// <summary>An Adj-RIB-Out driven the way a session drives it: each change is a whole new desired set.</summary>
    private sealed class Rib
    {
        public AdjRibOut Out { get; } = new();

        public Dictionary<Nlri, PathAttributes> Desired { get; } = [];

        public void Announce(Nlri nlri, PathAttributes attributes)
        {
            Desired[nlri] = attributes;
            Out.SetDesired(Desired);
        }

        public void Withdraw(Nlri nlri)
        {
            Desired.Remove(nlri);
            Out.SetDesired(Desired);
        }
    }

    private static (int Messages, ArrayBufferWriter<byte> Bytes) Flush(Rib rib) => Flush(rib.Out);

    private static (int Messages, ArrayBufferWriter<byte> Bytes) Flush(AdjRibOut rib)
    {
        var output = new ArrayBufferWriter<byte>();
        return (rib.WriteChanges(output, new UpdateBuilder(Session)), output);
    }

    [Fact]
    public void A_byte_budget_splits_the_changes_over_several_writes_and_the_peer_ends_up_with_all()
    {
        const int budget = 4096;
        var rib = new Rib();
        var peer = new Peer();
        for (var i = 0; i < 3000; i++)
        {
            rib.Announce(P($"198.18.{i / 256}.{i % 256}/32"), V4);
        }
        for (var i = 1; i <= 1000; i++)
        {
            rib.Announce(P($"2001:db8:ffff::{i:x}/128"), V6);
        }
        void DrainInSteps()
        {
            for (var writes = 0; rib.Out.HasChanges; writes++)
            {
                Assert.True(writes < 100, "the budget never lets the changes through");
                var output = new ArrayBufferWriter<byte>();
                Assert.True(rib.Out.WriteChanges(output, new UpdateBuilder(Session), budget) > 0);
                // Whole messages while under the budget: at most the budget plus one message.
                Assert.InRange(output.WrittenCount, 1, budget + Session.MaxMessageLength);
                peer.Receive(output.WrittenMemory);
            }
        }
        DrainInSteps();
        Assert.Equal(4000, peer.Table.Count);
        for (var i = 0; i < 1500; i++)
        {
            rib.Withdraw(P($"198.18.{i / 256}.{i % 256}/32"));
        }
        DrainInSteps();
        Assert.Equal(2500, peer.Table.Count);
        Assert.False(peer.Table.ContainsKey(P("198.18.0.0/32")));
        Assert.Equal(V6, peer.Table[P("2001:db8:ffff::3e8/128")]);
    }

    [Fact]
    public void Announcements_reach_the_peer_once()
    {
        var rib = new Rib();
        var peer = new Peer();
        rib.Announce(P("198.18.0.1/32"), V4);
        rib.Announce(P("2001:db8:ffff::1/128"), V6);
        var (messages, bytes) = Flush(rib);
        Assert.Equal(2, messages);
        peer.Receive(bytes.WrittenMemory);
        Assert.Equal(V4, peer.Table[P("198.18.0.1/32")]);
        Assert.Equal(V6, peer.Table[P("2001:db8:ffff::1/128")]);
        Assert.Equal(0, Flush(rib).Messages);
        Assert.Equal(2, rib.Out.AdvertisedCount);
    }

    [Fact]
    public void A_route_announced_and_withdrawn_between_writes_is_never_sent()
    {
        var rib = new Rib();
        rib.Announce(P("198.18.0.1/32"), V4);
        rib.Withdraw(P("198.18.0.1/32"));
        Assert.False(rib.Out.HasChanges);
        Assert.Equal(0, Flush(rib).Messages);
    }

    [Fact]
    public void An_attribute_change_undone_before_the_write_sends_nothing()
    {
        var rib = new Rib();
        rib.Announce(P("198.18.0.1/32"), V4);
        Flush(rib);
        rib.Announce(P("198.18.0.1/32"), V4 with { MultiExitDisc = 5 });
        Assert.True(rib.Out.HasChanges);
        rib.Announce(P("198.18.0.1/32"), V4 with { });
        Assert.False(rib.Out.HasChanges);
    }

    [Fact]
    public void A_new_plan_sends_only_its_differences()
    {
        var rib = new Rib();
        var peer = new Peer();
        rib.Out.SetDesired([KeyValuePair.Create(P("198.18.0.1/32"), V4), KeyValuePair.Create(P("198.18.0.2/32"), V4)]);
        peer.Receive(Flush(rib).Bytes.WrittenMemory);
        rib.Out.SetDesired([KeyValuePair.Create(P("198.18.0.2/32"), V4), KeyValuePair.Create(P("198.18.0.3/32"), V4)]);
        var (messages, bytes) = Flush(rib);
        Assert.Equal(2, messages); // one withdrawal, one announcement
        peer.Receive(bytes.WrittenMemory);
        Assert.Equal(new[] { P("198.18.0.2/32"), P("198.18.0.3/32") }, peer.Table.Keys.OrderBy(n => n.Prefix));
    }

    [Fact]
    public void After_a_session_reset_everything_desired_is_sent_again()
    {
        var rib = new Rib();
        rib.Announce(P("198.18.0.1/32"), V4);
        rib.Announce(P("198.18.0.2/32"), V4);
        Flush(rib);
        rib.Withdraw(P("198.18.0.2/32"));
        rib.Out.SessionReset();
        var peer = new Peer();
        peer.Receive(Flush(rib).Bytes.WrittenMemory);
        Assert.Equal(new[] { P("198.18.0.1/32") }, peer.Table.Keys);
    }

    [Fact]
    public void Route_refresh_resends_the_whole_family()
    {
        var rib = new Rib();
        rib.Announce(P("198.18.0.1/32"), V4);
        rib.Announce(P("2001:db8:ffff::1/128"), V6);
        Flush(rib);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(1, rib.Out.WriteFull(output, new UpdateBuilder(Session), Afi.IPv4));
        var peer = new Peer();
        peer.Receive(output.WrittenMemory);
        Assert.Equal(new[] { P("198.18.0.1/32") }, peer.Table.Keys);
    }

    /// <summary>Whatever the sequence of changes and writes, after a write the peer holds exactly the desired routes.</summary>
    [Fact]
    public void After_every_write_the_peer_holds_exactly_the_desired_routes()
    {
        var prefixes = Enumerable.Range(0, 40).Select(i => P($"198.18.0.{i}/32")).Concat(Enumerable.Range(0, 20).Select(i => P($"2001:db8:ffff::{i:x}/128"))).ToArray();
        PathAttributes[] v4Sets = [V4, V4 with { MultiExitDisc = 10 }, V4 with { Communities = new[] { Community.NoExport } }];
        PathAttributes[] v6Sets = [V6, V6 with { MultiExitDisc = 10 }];
        var op = Gen.Select(Gen.Int[0, 4], Gen.Int[0, prefixes.Length - 1], Gen.Int[0, 2], (kind, p, a) => (kind, p, a));
        op.Array[1, 80].Sample(ops =>
        {
            var rib = new Rib();
            var peer = new Peer();
            var desired = new Dictionary<Nlri, PathAttributes>();
            foreach (var (kind, p, a) in ops)
            {
                var nlri = prefixes[p];
                var attributes = nlri.Prefix.Family == Afi.IPv4 ? v4Sets[a] : v6Sets[a % 2];
                switch (kind)
                {
                    case 0 or 1:
                        rib.Announce(nlri, attributes);
                        desired[nlri] = attributes;
                        break;
                    case 2:
                        rib.Withdraw(nlri);
                        desired.Remove(nlri);
                        break;
                    case 3:
                        peer.Receive(Flush(rib).Bytes.WrittenMemory);
                        Assert.Equal(desired.OrderBy(d => d.Key.Prefix), peer.Table.OrderBy(d => d.Key.Prefix));
                        break;
                    default:
                        rib.Out.SessionReset();
                        peer = new Peer();
                        break;
                }
            }
            peer.Receive(Flush(rib).Bytes.WrittenMemory);
            Assert.Equal(desired.OrderBy(d => d.Key.Prefix), peer.Table.OrderBy(d => d.Key.Prefix));
        }, iter: 500);
    }
}
