using System.Net.Sockets;
using BgpLb.L2Fallback.Transport;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Transport;

public class DefaultRoutesTests
{
    // /proc/net/route: a default via eth1 (metric 200) and one via eth0 (metric 100), a subnet route, and a down default.
    private const string Ipv4 = """
        Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
        eth1	00000000	0100A8C0	0003	0	0	200	00000000	0	0	0
        eth0	00000000	01643364	0003	0	0	100	00000000	0	0	0
        eth0	00643364	00000000	0001	0	0	0	00FFFFFF	0	0	0
        eth2	00000000	01643364	0002	0	0	10	00000000	0	0	0
        """;

    // /proc/net/ipv6_route: lo's reject default (flags 0x200), a default via eth1, a prefix route on eth0.
    private const string Ipv6 = """
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000200000000000000000001 00000400 00000001 00000000 00000003     eth1
        20010db8000200000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
        """;

    [Fact]
    public void The_lowest_metric_up_default_route_is_chosen_per_family()
    {
        var routes = DefaultRoutes.Parse(Ipv4, Ipv6);
        Assert.Equal("eth0", routes.For(AddressFamily.InterNetwork));
        Assert.Equal("eth1", routes.For(AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Empty_or_garbled_tables_have_no_default() =>
        Assert.Equal(new DefaultRoutes(null, null), DefaultRoutes.Parse("", "not a route table\n1 2 3"));
}
