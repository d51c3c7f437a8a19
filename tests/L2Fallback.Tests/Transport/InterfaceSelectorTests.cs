using System.Net;
using System.Net.Sockets;
using BgpLb.L2Fallback.Transport;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Transport;

public class InterfaceSelectorTests
{
    private static LinkInfo Link(string name, int index, bool up = true, bool ethernet = true, params string[] networks) =>
        new(name, index, MacAddress.Zero, up, ethernet, [.. networks.Select(IPNetwork.Parse)]);

    private static readonly LinkInfo[] Links =
    [
        Link("lo", 1, ethernet: false, networks: ["127.0.0.0/8", "::1/128"]),
        Link("eth0", 2, networks: ["198.51.100.0/24", "2001:db8:2::/64"]),
        Link("eth1", 3, networks: ["198.18.0.0/24"]),
        Link("eth2", 4, networks: ["198.18.0.0/16"]),
        Link("eth3", 5, up: false, networks: ["198.18.0.0/24"]),
    ];

    private static readonly DefaultRoutes Routes = new("eth0", "eth0");

    private static string Names(InterfaceSelection s) => string.Join(',', s.Interfaces.Select(l => l.Name));

    [Fact]
    public void Configured_interfaces_win_and_missing_ones_are_reported()
    {
        var selection = InterfaceSelector.Select(Links, Routes, IPAddress.Parse("198.18.0.10"), ["eth0", "eth7"]);
        Assert.Equal(InterfaceSelectionRule.Configured, selection.Rule);
        Assert.Equal("eth0", Names(selection));
        Assert.Equal("eth7", string.Join(',', selection.Missing));
    }

    [Fact]
    public void Without_configuration_every_up_ethernet_interface_with_the_vips_subnet_is_chosen()
    {
        var selection = InterfaceSelector.Select(Links, Routes, IPAddress.Parse("198.18.0.10"), []);
        Assert.Equal(InterfaceSelectionRule.SubnetMatch, selection.Rule);
        Assert.Equal("eth1,eth2", Names(selection));
    }

    [Fact]
    public void Without_a_matching_subnet_the_default_route_interface_of_the_family_is_chosen()
    {
        var selection = InterfaceSelector.Select(Links, new DefaultRoutes("eth1", "eth0"), IPAddress.Parse("2001:db8:ffff::10"), []);
        Assert.Equal(InterfaceSelectionRule.DefaultRoute, selection.Rule);
        Assert.Equal("eth0", Names(selection));
    }

    [Fact]
    public void With_nothing_usable_the_selection_is_empty()
    {
        var selection = InterfaceSelector.Select(Links, new DefaultRoutes(null, null), IPAddress.Parse("203.0.113.5"), []);
        Assert.Equal(InterfaceSelectionRule.None, selection.Rule);
        Assert.Empty(selection.Interfaces);
    }
}
