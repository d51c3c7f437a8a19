using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class LoaderTests
{
    [Fact]
    public void A_MetalLB_manifest_works_unchanged_with_one_info_line_per_metallb_object()
    {
        var result = ConfigLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "metallb.yaml"));
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        var s = result.Snapshot!;
        Assert.Equal(["first-pool", "prod"], s.Pools.Select(p => p.Name));
        Assert.Equal("mypassword", s.Peers.Single(p => p.Name == "example").Password);
        Assert.Equal([BgpCommunity.Standard(1234, 1), BgpCommunity.Standard(65535, 65282)], s.BgpAdvertisements[0].Communities.ToArray());
        Assert.Equal("bar", s.Services.Single().NamespaceLabels["foo"]);
        Assert.Equal(
        [
            "IPAddressPool metallb-system/first-pool: read metallb.io/v1beta1 IPAddressPool as its bgplb.io equivalent",
            "IPAddressPool metallb-system/prod: read metallb.io/v1beta1 IPAddressPool as its bgplb.io equivalent",
            "BFDProfile metallb-system/testbfdprofile: read metallb.io/v1beta1 BFDProfile as its bgplb.io equivalent",
            "BGPPeer metallb-system/sample: read metallb.io/v1beta2 BGPPeer as its bgplb.io equivalent",
            "BGPPeer metallb-system/example: read metallb.io/v1beta2 BGPPeer as its bgplb.io equivalent",
            "Community metallb-system/communities: read metallb.io/v1beta1 Community as its bgplb.io equivalent",
            "BGPAdvertisement metallb-system/local: read metallb.io/v1beta1 BGPAdvertisement as its bgplb.io equivalent",
            "BGPAdvertisement metallb-system/aggregated: read metallb.io/v1beta1 BGPAdvertisement as its bgplb.io equivalent",
            "L2Advertisement metallb-system/l2: read metallb.io/v1beta1 L2Advertisement as its bgplb.io equivalent",
            "Service shop/nginx: metadata.annotations.metallb.io/address-pool: read as bgplb.io/address-pool",
            "Service shop/nginx: metadata.annotations.metallb.io/allow-shared-ip: read as bgplb.io/allow-shared-ip",
            "ConfigMap unrelated: skipped: ConfigMap of v1 is not part of the configuration",
        ], Infos(result));
        // Standalone, the cluster's Node objects are not in the manifest: L2 mode says it cannot elect.
        Assert.Equal(["L2Advertisement metallb-system/l2: no v1 Node in the config: L2 mode elects one node per VIP among the Nodes (each with a status.addresses InternalIP for the heartbeat), so no node answers ARP/NDP"], Warnings(result));
    }

    [Fact]
    public void The_quickstart_example_is_valid_and_allocates_three_VIPs_from_its_pool()
    {
        var result = ConfigLoader.Load(Path.Combine(Repository.Root, "examples", "quickstart.yaml"));
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        var s = result.Snapshot!;
        var peer = Assert.Single(s.Peers);
        Assert.Equal((4200000001u, (uint?)64512u, IpAddress.Parse("203.0.113.1")), (peer.MyAsn, peer.PeerAsn, peer.PeerAddress));
        Assert.Single(s.BgpAdvertisements);
        Assert.Equal(3, s.Services.Length);
        var allocator = new IpAllocator(new AllocatorOptions { IsDefaultClass = true });
        var inputs = AllocatorInputs.From(s);
        Assert.True(allocator.SetPools(inputs.Pools).Accepted);
        var vips = inputs.Services.Select(svc => allocator.Ensure(svc).Assignment?.Addresses.Single()).ToArray();
        Assert.Equal(["198.18.0.0", "198.18.0.1", "198.18.0.100"], vips.Select(v => v?.ToString()).Order(StringComparer.Ordinal));
        Assert.All(vips, v => Assert.Contains(s.Pools[0].Pool.Addresses, r => r.Contains(v!.Value)));
    }

    [Fact]
    public void Allocator_inputs_are_the_pools_and_services_of_the_snapshot()
    {
        var s = Valid(Pool("a", "198.18.0.0/24") + Pool("b", "198.18.1.0/24") + """
            apiVersion: v1
            kind: Namespace
            metadata: { name: shop, labels: { team: x } }
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: shop }
            spec: { type: LoadBalancer }
            """);
        var inputs = AllocatorInputs.From(s);
        Assert.Equal([s.Pools[0].Pool, s.Pools[1].Pool], inputs.Pools.ToArray());
        var service = Assert.Single(inputs.Services);
        Assert.Equal("x", service.NamespaceLabels["team"]);
    }

    [Fact]
    public void A_folder_is_read_file_by_file_in_name_order_and_errors_name_each_file()
    {
        var dir = Directory.CreateTempSubdirectory("bgplb-model-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "b-peer.yaml"), Peer("r", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.300"));
            File.WriteAllText(Path.Combine(dir.FullName, "a-pools.yml"), Pool("a", "198.18.0.0/24") + Pool("a", "198.18.1.0/24"));
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not read");
            var result = ConfigLoader.Load(dir.FullName);
            Assert.Equal(2, result.Files);
            Assert.Equal(
            [
                $"error: {Path.Combine(dir.FullName, "a-pools.yml")}:8: IPAddressPool a: metadata.name: duplicate IPAddressPool \"a\" (also defined in {Path.Combine(dir.FullName, "a-pools.yml")}:1)",
                $"error: {Path.Combine(dir.FullName, "b-peer.yaml")}:8: BGPPeer r: spec.peerAddress: \"203.0.113.300\" is not an IP address",
            ], result.Errors.Select(e => e.ToString()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_paths_empty_folders_and_broken_YAML_are_errors()
    {
        Assert.Equal("error: /nonexistent/bgplb.yaml: no such file or folder", ConfigLoader.Load("/nonexistent/bgplb.yaml").Errors.Single().ToString());
        var dir = Directory.CreateTempSubdirectory("bgplb-model-");
        try
        {
            Assert.Equal($"error: {dir.FullName}: the folder holds no .yaml or .yml file", ConfigLoader.Load(dir.FullName).Errors.Single().ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        var broken = Load("apiVersion: v1\nkind: [\n");
        Assert.StartsWith("error: test.yaml:", broken.Errors.Single().ToString(), StringComparison.Ordinal);
        Assert.Contains("not valid YAML", broken.Errors.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Documents_without_kind_or_of_unknown_bgplb_kinds_are_errors_and_empty_documents_are_ignored()
    {
        Assert.Equal(
        [
            "kind: required",
            "BGPRouter x: kind: BGPRouter of bgplb.io/v1beta1 is not a kind BgpLb reads (bgplb.io/v1beta1: IPAddressPool, BGPPeer, BGPAdvertisement, L2Advertisement, BFDProfile, Community)",
            "IPAddressPool y: kind: IPAddressPool of bgplb.io/v1 is not a kind BgpLb reads (bgplb.io/v1beta1: IPAddressPool, BGPPeer, BGPAdvertisement, L2Advertisement, BFDProfile, Community)",
            "a document must be a mapping with apiVersion and kind",
            "IPAddressPool: metadata.name: required",
            "IPAddressPool p: colour: unknown field",
        ], Errors("""
            ---
            apiVersion: v1
            ---
            apiVersion: bgplb.io/v1beta1
            kind: BGPRouter
            metadata: { name: x }
            ---
            apiVersion: bgplb.io/v1
            kind: IPAddressPool
            metadata: { name: y }
            ---
            - a list
            ---
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: {}
            ---
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: p }
            spec: { addresses: [198.18.0.0/24] }
            colour: red
            ---
            """));
    }

    [Fact]
    public void Versions_follow_MetalLB_BGPPeer_alone_has_v1beta2()
    {
        Assert.Single(Valid(Peer("r", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1").Replace("bgplb.io/v1beta1", "bgplb.io/v1beta2", StringComparison.Ordinal)).Peers);
        Assert.Equal(["IPAddressPool p: kind: IPAddressPool of metallb.io/v1beta2 is not a kind BgpLb reads (bgplb.io/v1beta1: IPAddressPool, BGPPeer, BGPAdvertisement, L2Advertisement, BFDProfile, Community)"],
            Errors(Pool("p", "198.18.0.0/24").Replace("bgplb.io/v1beta1", "metallb.io/v1beta2", StringComparison.Ordinal)));
    }

    [Fact]
    public void Duplicate_names_are_errors_for_every_kind()
    {
        const string Service = """
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: shop }
            spec: { type: LoadBalancer }
            ---

            """;
        Assert.Equal(
        [
            "Service shop/web: metadata.name: duplicate Service \"shop/web\" (also defined in test.yaml:1)",
            "BGPPeer r: metadata.name: duplicate BGPPeer \"r\" (also defined in test.yaml:11)",
            "BGPAdvertisement a: metadata.name: duplicate BGPAdvertisement \"a\" (also defined in test.yaml:29)",
        ], Errors(Service + Service
            + Peer("r", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1") + Peer("r", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.2")
            + Doc("BGPAdvertisement", "a", "{}") + Doc("BGPAdvertisement", "a", "localPref: 1")));
    }
}
