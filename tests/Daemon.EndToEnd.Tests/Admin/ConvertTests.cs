using BgpLb.Daemon.EndToEnd.Tests.Lab;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary><c>bgplbctl convert metallb FILE</c>: the output is bgplb.io objects that the daemon's loader reads as the same configuration.</summary>
public sealed class ConvertTests
{
    private const string MetalLb = """
        # The MetalLB quickstart, BGP mode.
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata:
          name: production
          namespace: metallb-system
        spec:
          addresses:
            - 198.18.10.0/24
        ---
        apiVersion: metallb.io/v1beta2
        kind: BGPPeer
        metadata:
          name: router
          namespace: metallb-system
        spec:
          myASN: 64500
          peerASN: 64501
          peerAddress: 203.0.113.1
        ---
        kind: BGPAdvertisement
        apiVersion: "metallb.io/v1beta1"
        metadata:
          name: external
          namespace: metallb-system
        spec:
          ipAddressPools: [production]
          communities: ["65535:65282"]
        ---
        apiVersion: metallb.io/v1beta1
        kind: ServiceL2Status
        metadata:
          name: l2-status
          namespace: metallb-system
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: default
          annotations:
            metallb.universe.tf/address-pool: production
            metallb.io/loadBalancerIPs: 198.18.10.7
        spec:
          type: LoadBalancer
          ports:
            - port: 80
        """;

    [Fact]
    public void A_metallb_manifest_becomes_bgplb_objects_that_load_to_the_same_configuration()
    {
        var dir = Directory.CreateTempSubdirectory("bgplba-convert-").FullName;
        try
        {
            var file = Path.Combine(dir, "metallb.yaml");
            File.WriteAllText(file, MetalLb);
            var result = CtlProcess.Run(["convert", "metallb", file]);
            Assert.True(result.Code == 0, result.ToString());
            var text = result.Stdout;
            Assert.DoesNotContain("metallb.io/v1", text, StringComparison.Ordinal);
            Assert.DoesNotContain("metallb.universe.tf/", text, StringComparison.Ordinal);
            Assert.Contains("apiVersion: bgplb.io/v1beta2\nkind: BGPPeer", text, StringComparison.Ordinal);
            Assert.Contains("# The MetalLB quickstart, BGP mode.", text, StringComparison.Ordinal); // comments survive
            Assert.Contains("bgplb.io/address-pool: production", text, StringComparison.Ordinal);
            Assert.Contains("warning: line", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("ServiceL2Status", result.Stderr, StringComparison.Ordinal);

            // Without the kind bgplb does not read, the converted file loads as the MetalLB one does.
            var converted = string.Join("---", text.Split("---").Where(d => !d.Contains("ServiceL2Status", StringComparison.Ordinal)));
            var original = string.Join("---", MetalLb.Split("---").Where(d => !d.Contains("ServiceL2Status", StringComparison.Ordinal)));
            var ours = ConfigLoader.LoadText("converted.yaml", converted);
            var theirs = ConfigLoader.LoadText("metallb.yaml", original);
            Assert.True(ours.Snapshot is not null, string.Join('\n', ours.Errors));
            Assert.True(theirs.Snapshot is not null, string.Join('\n', theirs.Errors));
            Assert.Equal(theirs.Snapshot.Pools.Select(p => p.Pool.Name), ours.Snapshot.Pools.Select(p => p.Pool.Name));
            Assert.Equal(theirs.Snapshot.Peers.Select(p => (p.Name, p.PeerAddress)), ours.Snapshot.Peers.Select(p => (p.Name, p.PeerAddress)));
            Assert.Equal(theirs.Snapshot.BgpAdvertisements.Length, ours.Snapshot.BgpAdvertisements.Length);
            var service = Assert.Single(ours.Snapshot.Services);
            Assert.Equal("production", service.Annotations["bgplb.io/address-pool"]);
            Assert.Equal("198.18.10.7", service.Annotations["bgplb.io/loadBalancerIPs"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
