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
    public static async Task<string> ControllerKubeconfigAsync(ApiServer server, k8s.Kubernetes admin, string ns)
    {
        await Deploy.InstallRbacAsync(server);
        var manifest = await File.ReadAllTextAsync(Path.Combine(Deploy.Rbac, "controller.yaml"));
        var leaseRbac = manifest.Split("\n---\n")
            .Where(d => d.Contains("\nkind: Role\n", StringComparison.Ordinal) || d.Contains("\nkind: RoleBinding\n", StringComparison.Ordinal))
            // Only the objects' own namespace (two spaces in); the subject's (four) stays bgplb-system.
            .Select(d => d.Replace($"\n  namespace: {SystemNamespace}\n", $"\n  namespace: {ns}\n", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, leaseRbac.Count);
        await Kubectl.MustRunAsync(server, string.Join("\n---\n", leaseRbac), "apply", "-f", "-");
        var request = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, "bgplb-controller", SystemNamespace);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath);
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(config.SslCaCerts[0].ExportCertificatePem()));
        var path = Path.Combine(server.Dir, ns + ".controller.kubeconfig");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: test, cluster: {"{"}server: "{config.Host}", certificate-authority-data: {ca}{"}"}{"}"}]
            users: [{"{"}name: bgplb-controller, user: {"{"}token: {request.Status.Token}{"}"}{"}"}]
            contexts: [{"{"}name: controller, context: {"{"}cluster: test, user: bgplb-controller{"}"}{"}"}]
            current-context: controller
            """);
        return path;
    }
}
