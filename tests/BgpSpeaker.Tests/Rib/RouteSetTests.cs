using System.Buffers;
using System.Net;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rib;

public sealed class RouteSetTests
{
    private static readonly CodecOptions Session = new() { FourOctetAsn = true };

    private static readonly IpPrefix[] Universe =
        Enumerable.Range(0, 48).Select(i => IpPrefix.Parse($"198.18.{i / 8}.{i % 8 * 32}/{(i % 3 == 0 ? 27 : 32)}"))
            .Concat(Enumerable.Range(0, 16).Select(i => IpPrefix.Parse($"2001:db8:ffff::{i:x}/128"))).ToArray();

    /// <summary>What a session's export policy would give a group: per family and MED (the MED travels).</summary>
    private static PathAttributes? Fit(Route template, bool exportV6) => template.Prefix.Family == Afi.IPv4
        ? new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(64512), NextHop = IPAddress.Parse("203.0.113.2"), MultiExitDisc = template.MultiExitDisc }
        : exportV6 ? new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(64512), MultiExitDisc = template.MultiExitDisc, MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::2"), null, default) }
        : null;

    private static PathAttributes?[] Fit(RouteSet set, bool exportV6) => set.Templates.ToArray().Select(t => Fit(t, exportV6)).ToArray();

    /// <summary>A router: applies UPDATEs to its table.</summary>
    private sealed class Peer
    {
        public SortedDictionary<IpPrefix, uint?> Table { get; } = [];

        public void Receive(ReadOnlyMemory<byte> bytes)
        {
            var sequence = new ReadOnlySequence<byte>(bytes);
            while (!sequence.IsEmpty)
            {
                Assert.Equal(OperationStatus.Done, MessageReader.TryRead(ref sequence, Session, out var message, out var error));
                Assert.Equal(ErrorAction.None, error.Action);
                var update = Assert.IsType<UpdateMessage>(message);
                foreach (var n in update.Withdrawn.Concat(update.Attributes.MpUnreach?.Withdrawn ?? default))
                {
                    Assert.True(Table.Remove(n.Prefix), $"{n.Prefix} withdrawn but not held");
                }
                foreach (var n in update.Nlri.Concat(update.Attributes.MpReach?.Nlri ?? default))
                {
                    Table[n.Prefix] = update.Attributes.MultiExitDisc;
                }
            }
        }
    }

    private static Route R(int index, uint? med) => new(Universe[index]) { MultiExitDisc = med };

    /// <summary>
    /// Any sequence of new sets (whole, or made by <see cref="RouteSet.With"/>), budgeted writes that
    /// stop mid-plan, and session resets: once everything is written, the peer holds exactly the
    /// last set (the routes of its exported families, with their attributes), and no UPDATE
    /// withdrew what the peer did not hold.
    /// </summary>
    [Fact]
    public void After_any_sequence_of_sets_the_peer_holds_exactly_the_last_one()
    {
        var gen = Gen.Select(Gen.Int[0, 5], Gen.Int[0, Universe.Length - 1].Array[0, 40], Gen.Int[0, 2], Gen.Int[30, 2000], (kind, picks, med, budget) => (kind, picks, med, budget));
        Gen.Select(gen.Array[1, 30], Gen.Bool).Sample((ops, exportV6) =>
        {
            var rib = new AdjRibOut();
            var peer = new Peer();
            var set = RouteSet.Empty;
            var builder = new UpdateBuilder(Session);
            foreach (var (kind, picks, med, budget) in ops)
            {
                switch (kind)
                {
                    case 0:
                        set = RouteSet.Create(picks.Distinct().Select(p => R(p, med == 0 ? null : (uint)med)).ToList());
                        rib.SetDesired(set, Fit(set, exportV6));
                        break;
                    case 1:
                        var distinct = picks.Distinct().ToArray();
                        var upserts = distinct.Where((_, i) => i % 2 == 0).Select(p => R(p, (uint)med));
                        var removals = distinct.Where((_, i) => i % 2 == 1).Select(p => Universe[p]);
                        set = set.With(upserts, removals);
                        rib.SetDesired(set, Fit(set, exportV6));
                        break;
                    case 2 or 3:
                        // A small budget stops mid-plan: the next set starts from what the peer really got.
                        var output = new ArrayBufferWriter<byte>();
                        rib.WriteChanges(output, builder, budget);
                        peer.Receive(output.WrittenMemory);
                        break;
                    case 4:
                        rib.SessionReset();
                        peer = new Peer();
                        break;
                    default:
                        var all = new ArrayBufferWriter<byte>();
                        rib.WriteChanges(all, builder);
                        peer.Receive(all.WrittenMemory);
                        Assert.False(rib.HasChanges);
                        AssertHolds(peer, set, exportV6);
                        break;
                }
            }
            var rest = new ArrayBufferWriter<byte>();
            rib.WriteChanges(rest, builder);
            peer.Receive(rest.WrittenMemory);
            AssertHolds(peer, set, exportV6);
            Assert.Equal(peer.Table.Count, rib.AdvertisedCount);
        }, iter: 1000);
    }

    /// <summary>
    /// Large sets where most entries agree (the diff skips equal blocks): any few removals,
    /// additions and attribute changes, given as a whole new collection, reach the peer exactly.
    /// </summary>
    [Fact]
    public void A_few_changes_in_a_large_set_reach_the_peer_exactly()
    {
        var pool = Enumerable.Range(0, 3000).Select(i => IpPrefix.V4(0xC6120000u + ((uint)i * 2), 32)).ToArray();
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, pool.Length - 1], Gen.Int[1, 3], (kind, at, med) => (kind, at, med));
        edit.Array[1, 12].Array[1, 4].Sample(rounds =>
        {
            var current = pool.Where((_, i) => i % 3 != 0).ToDictionary(p => p, _ => (uint?)null);
            var rib = new AdjRibOut();
            var peer = new Peer();
            var builder = new UpdateBuilder(Session);
            foreach (var round in rounds)
            {
                foreach (var (kind, at, med) in round)
                {
                    switch (kind)
                    {
                        case 0: current.Remove(pool[at]); break;
                        case 1: current.TryAdd(pool[at], null); break;
                        default: current[pool[at]] = (uint)med; break;
                    }
                }
                var set = RouteSet.Create(current.Select(c => new Route(c.Key) { MultiExitDisc = c.Value }).ToList());
                rib.SetDesired(set, Fit(set, exportV6: true));
                var output = new ArrayBufferWriter<byte>();
                rib.WriteChanges(output, builder);
                peer.Receive(output.WrittenMemory);
                Assert.Equal(current.OrderBy(c => c.Key), peer.Table);
            }
        }, iter: 200);
    }

    private static void AssertHolds(Peer peer, RouteSet set, bool exportV6)
    {
        var expected = Universe.Select(p => set.Find(p)).OfType<Route>().Where(r => exportV6 || r.Prefix.Family == Afi.IPv4)
            .Select(r => KeyValuePair.Create(r.Prefix, r.MultiExitDisc));
        Assert.Equal(expected, peer.Table);
    }

    [Fact]
    public void A_set_is_the_same_in_any_input_order_and_a_prefix_twice_is_refused()
    {
        var routes = Universe.Select((p, i) => new Route(p) { MultiExitDisc = (uint)(i % 3) }).ToList();
        var sorted = RouteSet.Create(routes);
        var reversed = RouteSet.Create(Enumerable.Reverse(routes).ToList());
        Assert.Equal(sorted.Count, reversed.Count);
        Assert.All(Universe, p => Assert.Equal(sorted.Find(p), reversed.Find(p)));
        var error = Assert.Throws<ArgumentException>(() => RouteSet.Create([new Route(Universe[3]), new Route(Universe[3]) { MultiExitDisc = 1 }]));
        Assert.Contains(Universe[3].ToString(), error.Message, StringComparison.Ordinal);
    }

    /// <summary>The universe in reverse order, each prefix with one of two attribute routes (MED 7 for IPv4, 9 for IPv6).</summary>
    private static (IpPrefix[] Prefixes, Route[] Attributes, Route V4, Route V6) SharedAttributes()
    {
        var v4 = new Route(IpPrefix.V4(0, 0)) { MultiExitDisc = 7 };
        var v6 = new Route(IpPrefix.V6(0, 0)) { MultiExitDisc = 9 };
        var prefixes = Enumerable.Reverse(Universe).ToArray();
        return (prefixes, prefixes.Select(p => p.Family == Afi.IPv4 ? v4 : v6).ToArray(), v4, v6);
    }

    [Fact]
    public void Prefixes_with_shared_attribute_routes_make_the_set_that_one_route_per_prefix_makes()
    {
        var (prefixes, attributes, v4, v6) = SharedAttributes();
        var shared = RouteSet.Create(prefixes, attributes);
        var each = RouteSet.Create(prefixes.Select(p => new Route(p) { MultiExitDisc = p.Family == Afi.IPv4 ? 7u : 9u }).ToList());
        Assert.Equal(each.ToArray(), shared.ToArray());
        Assert.Equal(2, shared.Templates.Length);

        var wrongFamily = Assert.Throws<ArgumentException>(() => RouteSet.Create([Universe[0]], [v6]));
        Assert.Contains("other family", wrongFamily.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RouteSet.Create([Universe[0], Universe[1]], [v4]));
        var twice = Assert.Throws<ArgumentException>(() => RouteSet.Create([Universe[1], Universe[1]], [v4, v4]));
        Assert.Contains(Universe[1].ToString(), twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adopted_prefix_array_becomes_the_sets_own_and_makes_the_set_a_copy_makes()
    {
        var (prefixes, attributes, v4, v6) = SharedAttributes();
        var copied = RouteSet.Create(prefixes, attributes);

        var adopted = RouteSet.Adopt(prefixes, attributes);
        Assert.Same(prefixes, adopted.Prefixes);
        Assert.Equal(copied.ToArray(), adopted.ToArray());

        Assert.Same(RouteSet.Empty, RouteSet.Adopt([], []));
        var wrongFamily = Assert.Throws<ArgumentException>(() => RouteSet.Adopt([Universe[0]], [v6]));
        Assert.Contains("other family", wrongFamily.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RouteSet.Adopt([Universe[0], Universe[1]], [v4]));
        var twice = Assert.Throws<ArgumentException>(() => RouteSet.Adopt([Universe[1], Universe[1]], [v4, v4]));
        Assert.Contains(Universe[1].ToString(), twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_adds_replaces_and_removes_and_reports_only_real_changes()
    {
        var set = RouteSet.Create([R(0, null), R(1, null), R(2, null)]);
        var next = set.With([R(1, null), R(2, 7), R(5, null)], [Universe[0], Universe[9]]);
        Assert.Null(next.Find(Universe[0]));
        Assert.Equal(R(1, null), next.Find(Universe[1]));
        Assert.Equal(7u, next.Find(Universe[2])!.MultiExitDisc);
        Assert.NotNull(next.Find(Universe[5]));
        Assert.Equal(3, next.Count);
        // 1 is unchanged and 9 was never there: neither is a change.
        Assert.Equal(new[] { Universe[0], Universe[2], Universe[5] }.Order(), next.Changed);
        Assert.True(next.IsChildOf(set));
        Assert.Throws<ArgumentException>(() => set.With([R(4, null)], [Universe[4]]));
    }

    [Fact]
    public void A_one_route_change_made_with_With_writes_one_update()
    {
        var rib = new AdjRibOut();
        var set = RouteSet.Create(Enumerable.Range(0, 40).Select(i => R(i, null)).ToList());
        rib.SetDesired(set, Fit(set, exportV6: true));
        rib.WriteChanges(new ArrayBufferWriter<byte>(), new UpdateBuilder(Session));
        var next = set.With([R(41, 5)], []);
        rib.SetDesired(next, Fit(next, exportV6: true));
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(1, rib.WriteChanges(output, new UpdateBuilder(Session)));
        var peer = new Peer();
        peer.Receive(output.WrittenMemory);
        Assert.Equal([KeyValuePair.Create(Universe[41], (uint?)5)], peer.Table);
    }
}
