using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Planner;
using CsCheck;
using static BgpLb.Daemon.Tests.Model.ModelTest;
using PlannerImpl = BgpLb.Daemon.Planner.Planner;

namespace BgpLb.Daemon.Tests.Planner;

/// <summary><see cref="PlannerImpl.Update"/> must give what <see cref="PlannerImpl.Build"/> gives for the same end state, whatever changed.</summary>
public sealed class PlannerUpdateTests
{
    private const string Peers = PlannerTests.TwoPeers;

    private const string Ready = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: { name: s1-x, namespace: default, labels: { kubernetes.io/service-name: s1 } }
        addressType: IPv4
        endpoints:
          - { addresses: [10.0.0.1], conditions: { ready: true }, nodeName: node-1 }
        ---

        """;

    /// <summary>Policies: host routes to every peer; two advertisements merging on one peer and an L2 pool; a Local pool with endpoints; an aggregate (Update declines).</summary>
    private static readonly string[] Policies =
    [
        Pool("a", "198.18.0.0/26") + Peers + Doc("BGPAdvertisement", "all", "communities: [\"64512:1\"]"),
        Pool("a", "198.18.0.0/26") + Pool("b", "198.18.1.0/26") + Peers
            + Doc("BGPAdvertisement", "pref", "ipAddressPools: [a]\npeers: [tor-b]\nlocalPref: 200")
            + Doc("BGPAdvertisement", "tagged", "ipAddressPools: [a, b]\ncommunities: [\"64512:7\"]")
            + Doc("L2Advertisement", "b-l2", "ipAddressPools: [b]"),
        Pool("a", "198.18.0.0/26") + Peers + Doc("BGPAdvertisement", "all", "{}") + Ready,
        Pool("a", "198.18.0.0/26") + Peers + Doc("BGPAdvertisement", "agg", "aggregationLength: 28"),
    ];

    private static string Service(int i) => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: s{{i}}, namespace: default }
        spec:
          type: LoadBalancer
          ports: [{ port: 80 }]
          externalTrafficPolicy: {{(i % 3 == 1 ? "Local" : "Cluster")}}
          selector: { app: s{{i}} }
        ---

        """;

    private static string Config(string policy, IEnumerable<int> services) => policy + string.Concat(services.Select(Service));

    private static (string Peer, string Prefix, uint? LocalPref, string Communities)[] Routes(Plan plan) =>
        [.. plan.Peers.SelectMany(p => p.Routes.Select(r => (p.Key, r.Prefix.ToString(), r.LocalPref, string.Join(",", r.Communities.Select(c => c.ToString())))))];

    [Fact]
    public void Update_gives_what_a_full_build_gives()
    {
        var sets = Gen.Int[0, 23].HashSet[0, 24];
        Gen.Select(Gen.Int[0, Policies.Length - 1], sets, sets).Sample((policy, before, after) =>
        {
            var first = Valid(Config(Policies[policy], before.Order()));
            var node = NodeIdentity.From(first, "node-1");
            var allocator = new IpAllocator();
            Assert.True(allocator.SetPools(first.Pools.Select(p => p.Pool)).Accepted);
            foreach (var service in first.Services)
            {
                allocator.Ensure(service);
            }
            var plan = PlannerImpl.Build(first, allocator.Assignments, node);

            var second = Valid(Config(Policies[policy], after.Order()));
            var removed = new List<Assignment>();
            var added = new List<Assignment>();
            foreach (var gone in first.Services.Select(s => s.Key).Where(k => !second.Services.Any(s => s.Key == k)))
            {
                if (allocator.Release(gone).Previous is { } previous)
                {
                    removed.Add(previous);
                }
            }
            foreach (var service in second.Services)
            {
                var was = allocator.GetAssignment(service.Key);
                allocator.Ensure(service);
                var now = allocator.GetAssignment(service.Key);
                if (was != now)
                {
                    if (was is { } w)
                    {
                        removed.Add(w);
                    }
                    if (now is { } n)
                    {
                        added.Add(n);
                    }
                }
            }
            var updated = PlannerImpl.Update(plan, second, node, removed, added, allocator.IsShared);
            var built = PlannerImpl.Build(second, allocator.Assignments, node);
            if (policy == 3 && removed.Count + added.Count > 0)
            {
                // Pool a of policy 3 aggregates: a changed VIP there stands for more than itself.
                Assert.Null(updated);
                return;
            }
            Assert.NotNull(updated);
            Assert.Equal(Routes(built), Routes(updated));
            Assert.Equal(built.NotAnnounced.OrderBy(n => n.Service).ToArray(), updated.NotAnnounced.OrderBy(n => n.Service).ToArray());
        }, iter: 200);
    }

    [Fact]
    public void A_change_to_a_shared_vip_is_left_to_a_full_build_which_keeps_it_while_a_service_holds_it()
    {
        static string Shared(string name, int port) => $$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {{name}}
              namespace: default
              annotations: { bgplb.io/allow-shared-ip: web, bgplb.io/loadBalancerIPs: 198.18.0.9 }
            spec:
              type: LoadBalancer
              ports: [{ port: {{port}} }]
            ---

            """;
        var policy = Pool("a", "198.18.0.0/26") + Peers + Doc("BGPAdvertisement", "all", "{}");
        var both = Valid(policy + Shared("http", 80) + Shared("https", 443));
        var node = NodeIdentity.From(both, "node-1");
        var allocator = new IpAllocator();
        Assert.True(allocator.SetPools(both.Pools.Select(p => p.Pool)).Accepted);
        foreach (var service in both.Services)
        {
            Assert.Equal(AllocationOutcome.Assigned, allocator.Ensure(service).Outcome);
        }
        var plan = PlannerImpl.Build(both, allocator.Assignments, node);
        var gone = allocator.Release(new ServiceKey("default", "http")).Previous!.Value;

        var one = Valid(policy + Shared("https", 443));
        // https still holds the address under the sharing key: only a full build knows who else announces it.
        Assert.Null(PlannerImpl.Update(plan, one, node, [gone], [], allocator.IsShared));
        var rebuilt = PlannerImpl.Build(one, allocator.Assignments, node);
        Assert.Equal(["198.18.0.9/32"], rebuilt.Peers[0].Routes.Select(r => r.Prefix.ToString()));

        // The last holder gone, the address is no longer shared: the update withdraws it.
        var last = allocator.Release(new ServiceKey("default", "https")).Previous!.Value;
        var none = PlannerImpl.Update(rebuilt, Valid(policy), node, [last], [], allocator.IsShared)!;
        Assert.Empty(none.Peers[0].Routes);
    }
}
