using BgpLb.Allocator;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class CoreKindTests
{
    [Fact]
    public void A_LoadBalancer_Service_is_read_into_the_allocators_service_with_its_namespace_labels()
    {
        var snapshot = Valid("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: { team: a }
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              namespace: shop
              labels: { app: web }
              annotations:
                bgplb.io/allow-shared-ip: web
              uid: 1234
            spec:
              type: LoadBalancer
              clusterIP: 10.96.0.10
              ports:
                - { name: http, port: 80, targetPort: 8080 }
                - { name: dns, port: 53, protocol: UDP }
              ipFamilies: [IPv6, IPv4]
              ipFamilyPolicy: PreferDualStack
              loadBalancerIP: 198.18.0.7
              loadBalancerClass: bgplb.io/bgplb
              externalTrafficPolicy: Local
              selector: { app: web }
            status:
              loadBalancer: {}
            """);
        var service = Assert.Single(snapshot.Services);
        Assert.Equal(new ServiceKey("shop", "web"), service.Key);
        Assert.Equal("web", service.Labels["app"]);
        Assert.Equal("web", service.Annotations["bgplb.io/allow-shared-ip"]);
        Assert.Equal("a", service.NamespaceLabels["team"]);
        Assert.Equal([new ServicePort(80, TransportProtocol.TCP), new ServicePort(53, TransportProtocol.UDP)], service.Ports.ToArray());
        Assert.Equal([IpFamily.IPv6, IpFamily.IPv4], service.IpFamilies.ToArray());
        Assert.Equal(IpFamilyPolicy.PreferDualStack, service.IpFamilyPolicy);
        Assert.Equal("198.18.0.7", service.LoadBalancerIP);
        Assert.Equal("bgplb.io/bgplb", service.LoadBalancerClass);
        Assert.Equal(ExternalTrafficPolicy.Local, service.ExternalTrafficPolicy);
        Assert.Equal("web", service.Selector["app"]);
        Assert.Equal("team", Assert.Single(snapshot.Namespaces).Labels.Keys.Single());
    }

    [Fact]
    public void A_Service_keeps_only_what_the_allocator_reads_and_shares_repeated_values()
    {
        var snapshot = Valid("""
            apiVersion: v1
            kind: Service
            metadata:
              name: a
              namespace: shop
              annotations:
                metallb.io/address-pool: gold
                metallb.universe.tf/allow-shared-ip: k
                bgplb.io/loadBalancerIPs: 198.18.0.9
                kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Service"}'
                example.com/owner: team-a
            spec:
              type: LoadBalancer
              ports: [{ port: 80 }]
              ipFamilies: [IPv4]
              selector: { app: a }
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: b
              namespace: shop
            spec:
              type: LoadBalancer
              ports: [{ port: 80 }]
              ipFamilies: [IPv4]
              externalTrafficPolicy: Local
              selector: { app: b }
            """);
        var a = snapshot.Services.Single(s => s.Key.Name == "a");
        var b = snapshot.Services.Single(s => s.Key.Name == "b");
        Assert.Equal(
            ["bgplb.io/loadBalancerIPs", "metallb.io/address-pool", "metallb.universe.tf/allow-shared-ip"],
            a.Annotations.Keys.Order(StringComparer.Ordinal).ToArray());
        // A Cluster Service's selector decides nothing (sharing compares selectors only under Local).
        Assert.Empty(a.Selector);
        Assert.Equal("b", b.Selector["app"]);
        Assert.Same(a.Key.Namespace, b.Key.Namespace);
        Assert.True(a.Ports == b.Ports, "one shared array for the same single port");
        Assert.Equal([IpFamily.IPv4], a.IpFamilies.ToArray());
        Assert.True(a.IpFamilies == b.IpFamilies, "one shared array for the same family list");
    }

    [Fact]
    public void Service_defaults_and_other_types_are_skipped_with_an_info_line()
    {
        var result = Load("""
            apiVersion: v1
            kind: Service
            metadata: { name: lb }
            spec: { type: LoadBalancer }
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: internal }
            spec: { ports: [{ port: 80 }] }
            """);
        var service = Assert.Single(result.Snapshot!.Services);
        Assert.Equal(new ServiceKey("default", "lb"), service.Key);
        Assert.Equal(IpFamilyPolicy.SingleStack, service.IpFamilyPolicy);
        Assert.Equal(ExternalTrafficPolicy.Cluster, service.ExternalTrafficPolicy);
        Assert.Null(service.LoadBalancerIP);
        Assert.Equal(["Service default/internal: spec.type: skipped: a Service of type ClusterIP, not LoadBalancer"], Infos(result));
    }

    [Theory]
    [InlineData("loadBalancerIP: 198.018.0.1", "Service default/s: spec.loadBalancerIP: \"198.018.0.1\" is not an IP address")]
    [InlineData("ports: [{ port: 0 }]", "Service default/s: spec.ports[0].port: 0 is out of range [1, 65535]")]
    [InlineData("ports: [{ port: 80, protocol: tcp }]", "Service default/s: spec.ports[0].protocol: \"tcp\" is not a protocol (TCP, UDP, SCTP)")]
    [InlineData("ipFamilies: [IPv5]", "Service default/s: spec.ipFamilies[0]: \"IPv5\" is not an IP family (IPv4, IPv6)")]
    [InlineData("ipFamilyPolicy: DualStack", "Service default/s: spec.ipFamilyPolicy: \"DualStack\" is not an IP family policy (SingleStack, PreferDualStack, RequireDualStack)")]
    [InlineData("externalTrafficPolicy: local", "Service default/s: spec.externalTrafficPolicy: \"local\" is not an external traffic policy (Cluster, Local)")]
    public void Service_rules(string spec, string error)
    {
        Assert.Equal([error], Errors($$"""
            apiVersion: v1
            kind: Service
            metadata: { name: s }
            spec:
              type: LoadBalancer
              {{spec}}
            """));
    }

    [Fact]
    public void MetalLB_annotations_are_read_with_an_info_line_and_their_addresses_parsed_strictly()
    {
        var yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: s
              annotations:
                metallb.io/address-pool: vips
                metallb.universe.tf/allow-shared-ip: key
            spec: { type: LoadBalancer }
            """;
        var result = Load(yaml);
        Assert.Equal(
        [
            "Service default/s: metadata.annotations.metallb.io/address-pool: read as bgplb.io/address-pool",
            "Service default/s: metadata.annotations.metallb.universe.tf/allow-shared-ip: read as bgplb.io/allow-shared-ip",
        ], Infos(result));
        Assert.Equal("vips", result.Snapshot!.Services[0].Annotations["metallb.io/address-pool"]);
        Assert.Equal(["Service default/s: metadata.annotations.metallb.io/loadBalancerIPs: \"198.18.0.01\" is not an IP address"],
            Errors(yaml.Replace("metallb.io/address-pool: vips", "metallb.io/loadBalancerIPs: 198.18.0.1,198.18.0.01", StringComparison.Ordinal)));
    }

    [Fact]
    public void Nodes_Secrets_and_EndpointSlices_are_read()
    {
        var snapshot = Valid("""
            apiVersion: v1
            kind: Node
            metadata:
              name: node-1
              labels: { kubernetes.io/hostname: node-1 }
            ---
            apiVersion: v1
            kind: Secret
            metadata: { name: pw, namespace: bgplb-system }
            type: kubernetes.io/basic-auth
            data: { password: c2VjcmV0, username: dXNlcg== }
            stringData: { username: other }
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-abc
              namespace: shop
              labels: { kubernetes.io/service-name: web }
            addressType: IPv4
            endpoints:
              - { addresses: [10.0.0.1], conditions: { ready: true }, nodeName: node-1 }
              - { addresses: [10.0.0.2], conditions: { ready: false }, nodeName: node-2 }
              - { addresses: [10.0.0.3], nodeName: node-3 }
              - { addresses: [10.0.0.4], conditions: { ready: true }, nodeName: node-1 }
            """);
        Assert.Equal("node-1", Assert.Single(snapshot.Nodes).Labels["kubernetes.io/hostname"]);
        var secret = Assert.Single(snapshot.Secrets);
        Assert.Equal("secret", secret.Data["password"]);
        Assert.Equal("other", secret.Data["username"]);
        var slice = Assert.Single(snapshot.EndpointSlices);
        Assert.Equal(new ServiceKey("shop", "web"), slice.Service);
        Assert.Equal(["node-1", "node-3"], slice.ReadyNodes.ToArray());
    }

    [Fact]
    public void Core_kind_rules()
    {
        Assert.Equal(
        [
            "Secret default/s: data.password: is not base64",
            "EndpointSlice default/e: metadata.labels: an EndpointSlice needs the label kubernetes.io/service-name naming its Service",
            "Node: metadata.name: required",
            "Node n: metadata.labels.bad key: \"bad key\" is not a valid label key",
        ], Errors("""
            apiVersion: v1
            kind: Secret
            metadata: { name: s }
            data: { password: "not base64!" }
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: { name: e }
            ---
            apiVersion: v1
            kind: Node
            metadata: { labels: { a: b } }
            ---
            apiVersion: v1
            kind: Node
            metadata: { name: n, labels: { bad key: x } }
            """));
    }
}
