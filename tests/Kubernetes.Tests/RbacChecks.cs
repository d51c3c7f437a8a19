using System.Net;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BgpLb.Kubernetes.Tests;

/// <summary>
/// The roles of <c>deploy/rbac</c> (or of the Helm chart: <see cref="HelmInstallTests"/>), tried by clients that
/// authenticate as the ServiceAccounts themselves (a token from the TokenRequest API): each can do what its role
/// needs, and the server answers 403 to what it must not. A subclass installs the CRDs and the roles.
/// </summary>
public abstract class RbacChecks(ApiServer server) : IAsyncLifetime
{
    private const string SystemNamespace = "bgplb-system";
    private const string Group = "bgplb.io";
    private const string Version = "v1beta1";
    private const string Controller = "bgplb-controller";
    private const string Speaker = "bgplb-speaker";
    private string _otherNamespace = "";

    /// <summary>Puts the CRDs, the bgplb-system namespace and the ServiceAccounts with their roles into the server.</summary>
    protected abstract Task InstallAsync(ApiServer server);

    public async Task InitializeAsync()
    {
        await InstallAsync(server);
        _otherNamespace = await Kubectl.CreateNamespaceAsync(server, "bgplbk-rbac");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_controller_can_allocate_elect_and_write_object_status_and_cannot_read_other_secrets_or_change_specs()
    {
        using var admin = server.AdminClient();
        var service = await CreateServiceAsync(admin);
        await admin.CoreV1.CreateNamespacedSecretAsync(Secret("not-the-controllers"), _otherNamespace);
        using var controller = await ClientAsAsync(admin, Controller);

        await Allowed(() => controller.CoreV1.ListServiceForAllNamespacesAsync());
        await Allowed(() => controller.CoreV1.PatchNamespacedServiceStatusAsync(
            new V1Patch("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.18.0.1\"}]}}}", V1Patch.PatchType.MergePatch),
            service.Metadata.Name, _otherNamespace));
        await Allowed(() => controller.CoreV1.ListNamespaceAsync());
        await Allowed(() => controller.CoreV1.CreateNamespacedEventAsync(Event(service), _otherNamespace));
        foreach (var plural in new[] { "ipaddresspools", "bgppeers", "bgpadvertisements", "l2advertisements", "bfdprofiles", "communities" })
        {
            await Allowed(() => controller.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, SystemNamespace, plural));
        }
        // The Secrets of its own namespace: a BGPPeer's passwordSecret is validated there.
        await Allowed(() => controller.CoreV1.ListNamespacedSecretAsync(SystemNamespace));
        var pool = await CreatePoolAsync(admin, SystemNamespace);
        var elsewhere = await CreatePoolAsync(admin, _otherNamespace);
        await Allowed(() => controller.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"status\":{\"assignedIPv4\":1,\"availableIPv4\":255}}", V1Patch.PatchType.MergePatch),
            Group, Version, SystemNamespace, "ipaddresspools", pool));
        var peer = await CreatePeerAsync(admin, SystemNamespace);
        await Allowed(() => controller.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(ValidCondition, V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "bgppeers", peer));
        var lease = new V1Lease { Metadata = new V1ObjectMeta { Name = "bgplbk-rbac-" + Guid.NewGuid().ToString("N")[..8] }, Spec = new V1LeaseSpec { HolderIdentity = "test" } };
        await Allowed(() => controller.CoordinationV1.CreateNamespacedLeaseAsync(lease, SystemNamespace));
        await Allowed(() => controller.CoordinationV1.ReadNamespacedLeaseAsync(lease.Metadata.Name, SystemNamespace));

        await Forbidden(Controller, () => controller.CoreV1.ReadNamespacedSecretAsync("not-the-controllers", _otherNamespace));
        await Forbidden(Controller, () => controller.CoreV1.ListSecretForAllNamespacesAsync());
        await Forbidden(Controller, () => controller.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}", V1Patch.PatchType.MergePatch), service.Metadata.Name, _otherNamespace));
        await Forbidden(Controller, () => controller.CoordinationV1.CreateNamespacedLeaseAsync(lease, _otherNamespace));
        await Forbidden(Controller, () => controller.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"spec\":{\"autoAssign\":false}}", V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "ipaddresspools", pool));
        await Forbidden(Controller, () => controller.CustomObjects.ListClusterCustomObjectAsync(Group, Version, "ipaddresspools"));
        await Forbidden(Controller, () => controller.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"status\":{\"assignedIPv4\":1}}", V1Patch.PatchType.MergePatch), Group, Version, _otherNamespace, "ipaddresspools", elsewhere));
        await Forbidden(Controller, () => controller.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"spec\":{\"holdTime\":\"30s\"}}", V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "bgppeers", peer));
        await Forbidden(Controller, () => controller.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, _otherNamespace, "bgppeers"));
        await Forbidden(Controller, () => controller.CoreV1.ListNodeAsync());
    }

    [Fact]
    public async Task The_speaker_can_read_what_it_announces_and_write_its_node_state_and_cannot_write_service_status()
    {
        using var admin = server.AdminClient();
        var service = await CreateServiceAsync(admin);
        var memberlist = "memberlist-" + Guid.NewGuid().ToString("N")[..8];
        await admin.CoreV1.CreateNamespacedSecretAsync(Secret(memberlist), SystemNamespace);
        await admin.CoreV1.CreateNamespacedSecretAsync(Secret("elsewhere"), _otherNamespace);
        var pool = await CreatePoolAsync(admin, SystemNamespace);
        using var speaker = await ClientAsAsync(admin, Speaker);

        await Allowed(() => speaker.CoreV1.ListNodeAsync());
        await Allowed(() => speaker.CoreV1.ListServiceForAllNamespacesAsync());
        await Allowed(() => speaker.CoreV1.ListNamespaceAsync());
        await Allowed(() => speaker.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync());
        foreach (var plural in new[] { "ipaddresspools", "bgppeers", "bgpadvertisements", "l2advertisements", "bfdprofiles", "communities" })
        {
            await Allowed(() => speaker.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, SystemNamespace, plural));
        }
        await Allowed(() => speaker.CoreV1.ReadNamespacedSecretAsync(memberlist, SystemNamespace));
        await Allowed(() => speaker.CoreV1.CreateNamespacedEventAsync(Event(service), _otherNamespace));
        var node = "bgplbk-node-" + Guid.NewGuid().ToString("N")[..8];
        await Allowed(() => speaker.CustomObjects.CreateNamespacedCustomObjectAsync(
            new Dictionary<string, object>
            {
                ["apiVersion"] = $"{Group}/{Version}",
                ["kind"] = "NodeState",
                ["metadata"] = new Dictionary<string, object> { ["name"] = node },
                ["spec"] = new Dictionary<string, object> { ["nodeName"] = node },
            },
            Group, Version, SystemNamespace, "nodestates"));
        await Allowed(() => speaker.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"status\":{\"bgpEstablished\":1,\"bgpSessionCount\":1,\"bgpSessions\":[{\"peer\":\"default/router\",\"peerAddress\":\"203.0.113.1\",\"state\":\"Established\"}]}}", V1Patch.PatchType.MergePatch),
            Group, Version, SystemNamespace, "nodestates", node));

        await Forbidden(Speaker, () => speaker.CoreV1.PatchNamespacedServiceStatusAsync(
            new V1Patch("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.18.0.2\"}]}}}", V1Patch.PatchType.MergePatch),
            service.Metadata.Name, _otherNamespace));
        await Forbidden(Speaker, () => speaker.CoreV1.ReadNamespacedSecretAsync("elsewhere", _otherNamespace));
        await Forbidden(Speaker, () => speaker.CoreV1.ListSecretForAllNamespacesAsync());
        await Forbidden(Speaker, () => speaker.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"status\":{\"assignedIPv4\":1}}", V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "ipaddresspools", pool));
        var peer = await CreatePeerAsync(admin, SystemNamespace);
        await Forbidden(Speaker, () => speaker.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(ValidCondition, V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "bgppeers", peer));
        await Forbidden(Speaker, () => speaker.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"spec\":{\"autoAssign\":false}}", V1Patch.PatchType.MergePatch), Group, Version, SystemNamespace, "ipaddresspools", pool));
        await Forbidden(Speaker, () => speaker.CustomObjects.ListClusterCustomObjectAsync(Group, Version, "bgppeers"));
        await Forbidden(Speaker, () => speaker.CoordinationV1.ListNamespacedLeaseAsync(SystemNamespace));
        await Forbidden(Speaker, () => speaker.CoreV1.PatchNodeAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}", V1Patch.PatchType.MergePatch), node));
    }

    /// <summary>A client that authenticates with a fresh token of the ServiceAccount, and nothing else.</summary>
    private async Task<k8s.Kubernetes> ClientAsAsync(k8s.Kubernetes admin, string serviceAccount) =>
        new(await ServiceAccounts.ConfigurationAsync(server, admin, serviceAccount));

    private async Task<V1Service> CreateServiceAsync(k8s.Kubernetes admin) =>
        await admin.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web-" + Guid.NewGuid().ToString("N")[..8] },
            Spec = new V1ServiceSpec { Type = "LoadBalancer", Ports = [new V1ServicePort { Port = 80 }] },
        }, _otherNamespace);

    /// <summary>A status patch as the controller writes it (ObjectStatus.Patch).</summary>
    private const string ValidCondition =
        "{\"status\":{\"conditions\":[{\"type\":\"Valid\",\"status\":\"True\",\"reason\":\"Accepted\",\"message\":\"in force as written\",\"lastTransitionTime\":\"2026-11-24T00:00:00Z\",\"observedGeneration\":1}]}}";

    private static async Task<string> CreatePeerAsync(k8s.Kubernetes admin, string ns)
    {
        var name = "peer-" + Guid.NewGuid().ToString("N")[..8];
        await BgplbObjects.CreateAsync(admin, ns, "bgppeers", "BGPPeer", name,
            new Dictionary<string, object> { ["myASN"] = 64512, ["peerASN"] = 64513, ["peerAddress"] = "203.0.113.1" });
        return name;
    }

    private static async Task<string> CreatePoolAsync(k8s.Kubernetes admin, string ns)
    {
        var name = "pool-" + Guid.NewGuid().ToString("N")[..8];
        await BgplbObjects.CreateAsync(admin, ns, "ipaddresspools", "IPAddressPool", name,
            new Dictionary<string, object> { ["addresses"] = new List<string> { "198.18.0.0/24" } });
        return name;
    }

    private static V1Secret Secret(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        StringData = new Dictionary<string, string> { ["secretkey"] = "0123456789abcdef0123456789abcdef" },
    };

    private static Corev1Event Event(V1Service service) => new()
    {
        Metadata = new V1ObjectMeta { GenerateName = "bgplbk-" },
        InvolvedObject = new V1ObjectReference { Kind = "Service", Name = service.Metadata.Name, NamespaceProperty = service.Metadata.NamespaceProperty, ApiVersion = "v1" },
        Reason = "IPAllocated",
        Message = "test",
        Type = "Normal",
    };

    private static async Task Allowed(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (HttpOperationException e)
        {
            Assert.Fail($"refused ({(int)e.Response.StatusCode}): {e.Response.Content}");
        }
    }

    /// <summary>The call is refused with 403, and the refusal names the ServiceAccount (so the client really was it).</summary>
    private static async Task Forbidden(string serviceAccount, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.True(e.Response.StatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)e.Response.StatusCode}: {e.Response.Content}");
        Assert.Contains($"User \\\"system:serviceaccount:{SystemNamespace}:{serviceAccount}\\\"", e.Response.Content, StringComparison.Ordinal);
    }
}
