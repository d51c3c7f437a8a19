using System.Text;
using k8s;
using k8s.Models;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>Kubeconfigs that authenticate as the ServiceAccounts of <c>deploy/rbac</c>, so a process runs with its role's rights only.</summary>
public static class ServiceAccounts
{
    private const string SystemNamespace = "bgplb-system";

    /// <summary>The test server's connection with a fresh TokenRequest token of <paramref name="serviceAccount"/> (in bgplb-system), and nothing else.</summary>
    public static async Task<KubernetesClientConfiguration> ConfigurationAsync(ApiServer server, k8s.Kubernetes admin, string serviceAccount)
    {
        var request = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, serviceAccount, SystemNamespace);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath);
        config.AccessToken = request.Status.Token;
        return config;
    }

    /// <summary>
    /// A kubeconfig of the <c>bgplb-controller</c> ServiceAccount (a TokenRequest token) for a controller whose
    /// Lease and pools are in <paramref name="ns"/>: deploy/rbac is installed, and its Role and RoleBinding for
    /// the Lease (written for bgplb-system) are applied in <paramref name="ns"/> too, unchanged but for that.
    /// </summary>
    public static Task<string> ControllerKubeconfigAsync(ApiServer server, k8s.Kubernetes admin, string ns) =>
        KubeconfigAsync(server, admin, ns, "controller", address: null);

    /// <summary>
    /// A kubeconfig of the <c>bgplb-speaker</c> ServiceAccount for a speaker whose bgplb.io objects and Secrets
    /// are in <paramref name="ns"/> (its Role applied there too), reaching the API server at <paramref name="server"/>
    /// (a relay into the node's network namespace) rather than at the kubeconfig's address.
    /// </summary>
    public static Task<string> SpeakerKubeconfigAsync(ApiServer apiServer, k8s.Kubernetes admin, string ns, string server) =>
        KubeconfigAsync(apiServer, admin, ns, "speaker", server);

    private static async Task<string> KubeconfigAsync(ApiServer server, k8s.Kubernetes admin, string ns, string role, string? address)
    {
        await Deploy.InstallRbacAsync(server);
        var manifest = await File.ReadAllTextAsync(Path.Combine(Deploy.Rbac, role + ".yaml"));
        var namespaced = manifest.Split("\n---\n")
            .Where(d => d.Contains("\nkind: Role\n", StringComparison.Ordinal) || d.Contains("\nkind: RoleBinding\n", StringComparison.Ordinal))
            // Only the objects' own namespace (two spaces in); the subject's (four) stays bgplb-system.
            .Select(d => d.Replace($"\n  namespace: {SystemNamespace}\n", $"\n  namespace: {ns}\n", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, namespaced.Count);
        await Kubectl.MustRunAsync(server, string.Join("\n---\n", namespaced), "apply", "-f", "-");
        return await TokenKubeconfigAsync(server, admin, "bgplb-" + role, address, $"{ns}.{role}");
    }

    /// <summary>
    /// A kubeconfig file with a fresh TokenRequest token of <paramref name="serviceAccount"/> (in bgplb-system) and
    /// the server's CA, reaching it at <paramref name="address"/> (e.g. a relay) or at the admin kubeconfig's: what
    /// <see cref="BgpLb.Daemon.Cluster.ApiConnection.Open"/> reads, as the daemon would.
    /// </summary>
    public static async Task<string> TokenKubeconfigAsync(ApiServer server, k8s.Kubernetes admin, string serviceAccount, string? address = null, string? name = null)
    {
        var request = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, serviceAccount, SystemNamespace);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath);
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(config.SslCaCerts[0].ExportCertificatePem()));
        var path = Path.Combine(server.Dir, $"{name ?? serviceAccount + "-" + Guid.NewGuid().ToString("N")[..8]}.kubeconfig");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: test, cluster: {"{"}server: "{address ?? config.Host}", certificate-authority-data: {ca}{"}"}{"}"}]
            users: [{"{"}name: {serviceAccount}, user: {"{"}token: {request.Status.Token}{"}"}{"}"}]
            contexts: [{"{"}name: sa, context: {"{"}cluster: test, user: {serviceAccount}{"}"}{"}"}]
            current-context: sa
            """);
        return path;
    }
}
