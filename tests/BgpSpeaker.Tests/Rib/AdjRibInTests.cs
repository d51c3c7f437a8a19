using System.Net;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rib;

public sealed class AdjRibInTests
{
    private static readonly PathAttributes V4 = new() { Origin = Origin.Igp, NextHop = IPAddress.Parse("203.0.113.1"), MultiExitDisc = 5 };

    private static Nlri N(string prefix) => new(IpPrefix.Parse(prefix));

    private static UpdateMessage Announce(PathAttributes attributes, params string[] prefixes) =>
        new(default, attributes, prefixes.Select(N).ToArray());

    [Fact]
    public void Announcements_are_kept_with_their_next_hop_and_replaced_by_a_later_path()
    {
        var rib = new AdjRibIn(100);
        rib.Apply(Announce(V4, "198.18.0.1/32", "198.18.0.2/32"), default);
        rib.Apply(Announce(V4 with { MultiExitDisc = 7 }, "198.18.0.2/32"), default);
        var routes = rib.Snapshot();
        Assert.Equal(2, routes.Count);
        Assert.Equal(5u, routes[0].Attributes.MultiExitDisc);
        Assert.Equal(7u, routes[1].Attributes.MultiExitDisc); // RFC 4271 §3.1: implicit withdraw
        Assert.Equal(IPAddress.Parse("203.0.113.1"), routes[1].NextHop);
    }

    [Fact]
    public void Mp_reach_and_unreach_carry_ipv6_paths_in_and_out()
    {
        var rib = new AdjRibIn(100);
        var reach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8:1::1"), IPAddress.Parse("fe80::1"), new[] { N("2001:db8:ffff::1/128"), N("2001:db8:ffff::2/128") });
        rib.Apply(new UpdateMessage(default, new PathAttributes { Origin = Origin.Igp, MpReach = reach }, default), default);
        var route = rib.Snapshot()[0];
        Assert.Equal(IPAddress.Parse("2001:db8:1::1"), route.NextHop);
        Assert.Equal(IPAddress.Parse("fe80::1"), route.LinkLocalNextHop);
        Assert.Null(route.Attributes.MpReach); // its content is in the route itself
        var unreach = new MpUnreach(AfiSafi.IPv6Unicast, new[] { N("2001:db8:ffff::1/128") });
        rib.Apply(new UpdateMessage(default, new PathAttributes { MpUnreach = unreach }, default), default);
        Assert.Equal(N("2001:db8:ffff::2/128"), Assert.Single(rib.Snapshot()).Nlri);
    }

    [Fact]
    public void Treat_as_withdraw_removes_what_the_message_announced()
    {
        var rib = new AdjRibIn(100);
        rib.Apply(Announce(V4, "198.18.0.1/32"), default);
        var error = new BgpError(BgpErrorCode.Update, 0, default, ErrorAction.TreatAsWithdraw, BgpErrorReason.None);
        rib.Apply(Announce(V4, "198.18.0.1/32", "198.18.0.3/32"), error); // RFC 7606 §2
        Assert.Equal(0, rib.Count);
    }

    [Fact]
    public void Beyond_the_limit_announcements_are_counted_not_kept_and_known_paths_still_update()
    {
        var rib = new AdjRibIn(2);
        rib.Apply(Announce(V4, "198.18.0.1/32", "198.18.0.2/32", "198.18.0.3/32", "198.18.0.4/32"), default);
        Assert.Equal(2, rib.Count);
        Assert.Equal(2, rib.NotStored);
        rib.Apply(Announce(V4 with { MultiExitDisc = 9 }, "198.18.0.1/32"), default);
        Assert.Equal(9u, rib.Snapshot()[0].Attributes.MultiExitDisc);
        Assert.Equal(2, rib.NotStored);
        rib.Apply(new UpdateMessage(new[] { N("198.18.0.1/32") }, PathAttributes.Empty, default), default);
        rib.Apply(Announce(V4, "198.18.0.9/32"), default);
        Assert.Equal(2, rib.Count); // room again after a withdrawal
    }

    [Fact]
    public void End_of_rib_changes_nothing_and_clear_empties()
    {
        var rib = new AdjRibIn(10);
        rib.Apply(Announce(V4, "198.18.0.1/32"), default);
        rib.Apply(UpdateMessage.EndOfRib(AfiSafi.IPv4Unicast), default);
        Assert.Equal(1, rib.Count);
        rib.Clear();
        Assert.Empty(rib.Snapshot());
    }
}
