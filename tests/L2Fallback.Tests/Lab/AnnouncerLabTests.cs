using System.Net;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.L2Fallback.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Lab;

/// <summary>
/// The announcer alone on a real segment: a client namespace asks with Linux's own tools (arping,
/// ndisc6, the kernel's neighbour resolution) and one node namespace answers through our
/// AF_PACKET sockets.
/// </summary>
public sealed class AnnouncerLabTests : IAsyncLifetime, IDisposable
{
    private const string Vip4 = "198.18.1.10";
    private const string Vip6 = "2001:db8:ffff::1:10";
    private readonly L2Lab _lab = new("ann", nodes: 1);
    private L2Announcer _announcer = null!;
    private MacAddress _nodeMac;

    public Task InitializeAsync()
    {
        _nodeMac = _lab.MacOf("n1");
        _announcer = _lab.InNamespace("n1", () =>
            new L2Announcer(NetworkLinks.Read(), new L2AnnouncerOptions(), TimeProvider.System, NullLogger.Instance));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _announcer.DisposeAsync();

    public void Dispose() => _lab.Dispose();

    /// <summary>SetOwned opens the packet sockets, so it runs inside the node's namespace.</summary>
    private void Own(params string[] vips) => _lab.InNamespace("n1", () =>
    {
        _announcer.SetOwned(vips.Select(v => new OwnedVip(IPAddress.Parse(v), ["eth0"])));
        return true;
    });

    [Fact]
    public void Arping_for_an_owned_vip_gets_the_nodes_mac_and_one_for_another_address_gets_nothing()
    {
        Own(Vip4);
        Assert.Equal([_nodeMac], _lab.ArpingMacs(Vip4));
        Assert.Empty(_lab.ArpingMacs("198.18.1.99"));
        var counters = _announcer.CountersFor("eth0");
        Assert.True(counters.Arp(L2DropReason.None) >= 1, "the request for the VIP was not counted as answered");
        Assert.True(counters.Arp(L2DropReason.NotOwned) >= 1, "the request for 198.18.1.99 was not counted as not owned");
    }

    [Fact]
    public void Ndisc6_resolves_an_owned_ipv6_vip_through_its_solicited_node_group()
    {
        Own(Vip6);
        Assert.Equal(_nodeMac, _lab.Ndisc6Mac(Vip6));
        Assert.Null(_lab.Ndisc6Mac("2001:db8:ffff::1:99"));
        var counters = _announcer.CountersFor("eth0");
        Assert.True(counters.Ndp(L2DropReason.None) >= 1);
        Assert.Equal(0, counters.Ndp(L2DropReason.Malformed));
    }

    [Fact]
    public void The_kernels_own_resolution_by_ping_learns_the_nodes_mac_for_both_families()
    {
        Own(Vip4, Vip6);
        // Nothing answers the echo (the VIP is on no interface); the neighbour entry is what counts.
        _lab.TryClient($"ping -c 1 -W 1 {Vip4}");
        _lab.TryClient($"ping -6 -c 1 -W 1 {Vip6}");
        Assert.Equal(_nodeMac, _lab.ClientNeighbour(Vip4));
        Assert.Equal(_nodeMac, _lab.ClientNeighbour(Vip6));
    }

    [Fact]
    public void Losing_ownership_stops_the_answers_at_once()
    {
        Own(Vip4, Vip6);
        Assert.Equal([_nodeMac], _lab.ArpingMacs(Vip4));
        Own();
        Assert.Empty(_lab.ArpingMacs(Vip4));
        Assert.Null(_lab.Ndisc6Mac(Vip6));
        Assert.Empty(_announcer.Owned);
    }

    [Fact]
    public void Taking_ownership_moves_the_clients_existing_neighbour_entries_to_our_mac()
    {
        var previous = "02:00:00:00:00:99";
        _lab.Client($"ip neigh replace {Vip4} lladdr {previous} dev eth0 nud stale");
        _lab.Client($"ip neigh replace {Vip6} lladdr {previous} dev eth0 nud stale");
        // Linux ignores an ARP update within locktime (1 s) of the entry's last update.
        Thread.Sleep(1100);
        var taken = DateTimeOffset.UtcNow;
        Own(Vip4, Vip6);
        // The first round moved them (the next comes 1.1 s later), as the client's kernel recorded it.
        Assert.True(NetnsLab.WaitUntil(() => _lab.ClientMovedAt(Vip4, _nodeMac, taken) is not null && _lab.ClientMovedAt(Vip6, _nodeMac, taken) is not null, TimeSpan.FromSeconds(5), 20),
            $"after the gratuitous ARP and unsolicited NA the client still has {_lab.ClientNeighbour(Vip4)} / {_lab.ClientNeighbour(Vip6)}");
        foreach (var vip in new[] { Vip4, Vip6 })
        {
            var after = _lab.ClientMovedAt(vip, _nodeMac, taken)!.Value - taken;
            Assert.True(after < TimeSpan.FromSeconds(1), $"the client's entry of {vip} moved {after.TotalMilliseconds:F0} ms after ownership was taken: not by the first round\n{string.Join('\n', _lab.ClientNeighbourEvents)}");
        }
        Assert.Equal(_nodeMac, _lab.ClientNeighbour(Vip4));
        Assert.Equal(_nodeMac, _lab.ClientNeighbour(Vip6));
        var counters = _announcer.CountersFor("eth0");
        Assert.True(counters.GratuitousArps >= 2, "one round is a request and a reply");
        Assert.True(counters.UnsolicitedAdvertisements >= 1);
    }

    [Fact]
    public void An_interface_that_does_not_exist_is_left_out_of_what_is_answered()
    {
        _lab.InNamespace("n1", () =>
        {
            _announcer.SetOwned([new OwnedVip(IPAddress.Parse(Vip4), ["eth0", "eth9"])]);
            return true;
        });
        Assert.Equal("eth0", string.Join(',', _announcer.Owned.Single().Interfaces));
    }
}
