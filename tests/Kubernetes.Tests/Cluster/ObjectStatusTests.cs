using System.Text.Json;
using BgpLb.Allocator;
using BgpLb.Daemon.Cluster;

namespace BgpLb.Kubernetes.Tests.Cluster;

/// <summary>
/// The status the controller gives configuration objects (<see cref="ObjectStatus"/>), from builds of stores filled
/// by hand, and how the stores take a change of status alone (no server: ControllerTests has the real one).
/// </summary>
public sealed class ObjectStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 22, 30, 5, TimeSpan.Zero);

    private static ClusterObject Object(ResourceType type, string json) => ClusterObject.From(type, JsonDocument.Parse(json).RootElement);

    private static ClusterObject Pool(string name, string cidr, string resourceVersion = "1", long generation = 1, string status = "") => Object(ResourceType.IpAddressPools,
        $$"""{"metadata":{"name":"{{name}}","namespace":"bgplb-system","resourceVersion":"{{resourceVersion}}","uid":"u-{{name}}","generation":{{generation}} },"spec":{"addresses":["{{cidr}}"]}""" + status + "}");

    private static ClusterObject Peer(string name, string bfdProfile) => Object(ResourceType.BgpPeers,
        $$"""{"metadata":{"name":"{{name}}","namespace":"bgplb-system","resourceVersion":"1","uid":"u-{{name}}","generation":3},"spec":{"myASN":64512,"peerASN":64513,"peerAddress":"203.0.113.1","bfdProfile":"{{bfdProfile}}"} }""");

    private static (ClusterConfiguration Configuration, ClusterConfigResult Built) Build(params ClusterObject[] objects)
    {
        var configuration = new ClusterConfiguration();
        return (configuration, configuration.Build(Stores(objects)));
    }

    private static List<ResourceStore> Stores(ClusterObject[] objects)
    {
        var stores = new List<ResourceStore>();
        foreach (var group in objects.GroupBy(o => o.Type))
        {
            var store = new ResourceStore(group.Key);
            store.Replace(group);
            stores.Add(store);
        }
        return stores;
    }

    /// <summary>The stored object after the patch, as the API server would keep it (a merge patch of its status).</summary>
    private static ClusterObject Applied(ClusterObject item, string patch)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(item.Json.GetRawText())!.AsObject();
        var status = System.Text.Json.Nodes.JsonNode.Parse(patch)!["status"]!.AsObject();
        if (node["status"] is not System.Text.Json.Nodes.JsonObject stored)
        {
            stored = [];
            node["status"] = stored;
        }
        foreach (var (name, value) in status.ToList())
        {
            status.Remove(name);
            if (value is null)
            {
                stored.Remove(name);
            }
            else
            {
                stored[name] = value;
            }
        }
        node["metadata"]!["resourceVersion"] = "99";
        return Object(item.Type, node.ToJsonString());
    }

    [Fact]
    public void A_valid_pool_is_True_Accepted_with_its_generation_and_its_usage_capped_at_int64()
    {
        var pool = Pool("vips", "198.18.30.0/29", generation: 4);
        var (configuration, built) = Build(pool);
        var usage = new PoolStatus("vips", 3, 5, 0, UInt128.One << 64);

        var desired = ObjectStatus.Of(pool, built, configuration.InForce(pool.Subject), usage);

        Assert.Equal(new ObjectStatus.Desired("True", "Accepted", "in force as written", 4, desired.Usage), desired);
        Assert.Equal([3L, 5L, 0L, long.MaxValue], desired.Usage!);
        Assert.False(ObjectStatus.Says(pool, desired));
        using var patch = JsonDocument.Parse(ObjectStatus.Patch(pool, desired, Now));
        var status = patch.RootElement.GetProperty("status");
        Assert.Equal(3, status.GetProperty("assignedIPv4").GetInt64());
        Assert.Equal(long.MaxValue, status.GetProperty("availableIPv6").GetInt64());
        var condition = Assert.Single(status.GetProperty("conditions").EnumerateArray());
        Assert.Equal("Valid", condition.GetProperty("type").GetString());
        Assert.Equal("2026-11-24T22:30:05Z", condition.GetProperty("lastTransitionTime").GetString());
        Assert.Equal(4, condition.GetProperty("observedGeneration").GetInt64());
        Assert.True(ObjectStatus.Says(Applied(pool, patch.RootElement.GetRawText()), desired));
    }

    [Fact]
    public void An_overlapping_pool_is_False_naming_the_field_and_says_it_is_not_in_force_until_it_was_valid()
    {
        var good = Pool("vips", "198.18.30.0/29");
        var overlap = Pool("overlap", "198.18.30.4/30");
        var (configuration, built) = Build(good, overlap);

        var desired = ObjectStatus.Of(overlap, built, configuration.InForce(overlap.Subject), null);

        Assert.Equal("False", desired.Status);
        Assert.Equal(RefusalReporter.ReasonInvalid, desired.Reason);
        Assert.StartsWith("spec.addresses[0]: ", desired.Message, StringComparison.Ordinal);
        Assert.Contains("overlaps", desired.Message, StringComparison.Ordinal);
        Assert.EndsWith("no version of it was valid yet, so it is not in force", desired.Message, StringComparison.Ordinal);
        Assert.Null(desired.Usage);
        Assert.Equal("True", ObjectStatus.Of(good, built, configuration.InForce(good.Subject), null).Status);
    }

    [Fact]
    public void A_refused_edit_keeps_its_last_good_version_in_force_and_the_message_says_so()
    {
        var configuration = new ClusterConfiguration();
        configuration.Build(Stores([Pool("vips", "198.18.30.0/29"), Pool("more", "198.18.31.0/29")]));
        var edited = Pool("more", "198.18.30.0/28", resourceVersion: "2", generation: 2);

        var built = configuration.Build(Stores([Pool("vips", "198.18.30.0/29"), edited]));
        var desired = ObjectStatus.Of(edited, built, configuration.InForce(edited.Subject), null);

        Assert.Equal("False", desired.Status);
        Assert.EndsWith("; its last good version stays in force", desired.Message, StringComparison.Ordinal);
        Assert.Equal(2, desired.Generation);
    }

    [Fact]
    public void A_peer_naming_a_missing_BFD_profile_is_False_on_spec_bfdProfile()
    {
        var peer = Peer("router", "fast");
        var (configuration, built) = Build(Pool("vips", "198.18.30.0/29"), peer);

        var desired = ObjectStatus.Of(peer, built, configuration.InForce(peer.Subject), null);

        Assert.Equal("False", desired.Status);
        Assert.StartsWith("spec.bfdProfile: ", desired.Message, StringComparison.Ordinal);
        Assert.Contains("\"fast\"", desired.Message, StringComparison.Ordinal);
        Assert.Equal(3, desired.Generation);
    }

    [Fact]
    public void The_transition_time_is_kept_while_the_status_stays_and_other_condition_types_are_kept()
    {
        var pool = Pool("vips", "198.18.30.0/29", status:
            ""","status":{"assignedIPv4":1,"conditions":[{"type":"Valid","status":"True","reason":"Accepted","message":"old text","lastTransitionTime":"2026-01-01T00:00:00Z","observedGeneration":1},{"type":"Other","status":"True","reason":"X","message":"kept","lastTransitionTime":"2026-01-02T00:00:00Z"}]}""");
        var (configuration, built) = Build(pool);

        var fresh = ObjectStatus.Of(pool, built, configuration.InForce(pool.Subject), null);
        using var patch = JsonDocument.Parse(ObjectStatus.Patch(pool, fresh, Now));
        var status = patch.RootElement.GetProperty("status");
        var conditions = status.GetProperty("conditions").EnumerateArray().ToList();
        Assert.Equal(["Other", "Valid"], conditions.Select(c => c.GetProperty("type").GetString()));
        Assert.Equal("2026-01-01T00:00:00Z", conditions[1].GetProperty("lastTransitionTime").GetString());
        // No usage (not in an allocator): the stored member is removed.
        Assert.Equal(JsonValueKind.Null, status.GetProperty("assignedIPv4").ValueKind);

        var refused = fresh with { Status = "False", Reason = RefusalReporter.ReasonInvalid };
        using var flipped = JsonDocument.Parse(ObjectStatus.Patch(pool, refused, Now));
        Assert.Equal("2026-11-24T22:30:05Z", flipped.RootElement.GetProperty("status").GetProperty("conditions")[1].GetProperty("lastTransitionTime").GetString());
    }

    [Fact]
    public void Says_is_false_for_any_difference_of_condition_generation_or_usage()
    {
        var pool = Pool("vips", "198.18.30.0/29", generation: 2);
        var (configuration, built) = Build(pool);
        var desired = ObjectStatus.Of(pool, built, configuration.InForce(pool.Subject), new PoolStatus("vips", 1, 7, 0, 0));
        var stored = Applied(pool, ObjectStatus.Patch(pool, desired, Now));
        Assert.True(ObjectStatus.Says(stored, desired));

        Assert.False(ObjectStatus.Says(stored, desired with { Usage = [2, 6, 0, 0] }));
        Assert.False(ObjectStatus.Says(stored, desired with { Usage = null }));
        Assert.False(ObjectStatus.Says(stored, desired with { Generation = 3 }));
        Assert.False(ObjectStatus.Says(stored, desired with { Message = "other" }));
        Assert.False(ObjectStatus.Says(stored, desired with { Status = "Unknown" }));
    }

    [Fact]
    public void A_store_takes_a_change_of_status_alone_of_a_bgplb_kind_without_counting_it_and_any_other_change_with()
    {
        var store = new ResourceStore(ResourceType.IpAddressPools);
        var changes = 0;
        store.Changed += _ => changes++;
        var pool = Pool("vips", "198.18.30.0/29");
        store.Replace([pool]);
        var version = store.Version;

        var written = Applied(pool, """{"status":{"assignedIPv4":1}}""");
        store.Upsert(written);
        Assert.Equal(version, store.Version);
        Assert.Equal(1, changes);
        Assert.Same(written, store.Get("bgplb-system", "vips"));

        store.Upsert(Pool("vips", "198.18.30.0/28", resourceVersion: "100", generation: 2));
        Assert.Equal(version + 1, store.Version);
        Assert.Equal(2, changes);

        // A label is not status: the advertisements' ipAddressPoolSelectors read it.
        var labelled = Object(ResourceType.IpAddressPools,
            """{"metadata":{"name":"vips","namespace":"bgplb-system","resourceVersion":"101","uid":"u-vips","generation":2,"labels":{"zone":"a"}},"spec":{"addresses":["198.18.30.0/28"]}}""");
        store.Upsert(labelled);
        Assert.Equal(3, changes);

        // A Service's status is an input (the allocation the speakers announce).
        var services = new ResourceStore(ResourceType.Services);
        services.Replace([Object(ResourceType.Services, """{"metadata":{"name":"web","namespace":"shop","resourceVersion":"1","uid":"s"},"spec":{}}""")]);
        var before = services.Version;
        services.Upsert(Object(ResourceType.Services, """{"metadata":{"name":"web","namespace":"shop","resourceVersion":"2","uid":"s"},"spec":{},"status":{"loadBalancer":{"ingress":[{"ip":"198.18.30.1"}]}}}"""));
        Assert.Equal(before + 1, services.Version);
    }
}
