using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BgpLb.Daemon.Cluster;
using Microsoft.Extensions.Time.Testing;

namespace BgpLb.Daemon.Tests.Cluster;

/// <summary>
/// The kubeconfig and in-cluster reader (<see cref="KubeConfig"/>): what each field becomes, the error that names a
/// wrong one, and the credentials over time. Against a real API server it is exercised by every Kubernetes test.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // credential plugins are executables with a mode
public sealed class KubeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-kubeconfig-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-25T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private ApiEndpoint Load(string yaml) => KubeConfig.FromFile(Write("config", yaml), _time);

    private string Error(string yaml) => Assert.Throws<KubeConfigException>(() => Load(yaml)).Message;

    private static string Config(string cluster, string user = "{token: abc}", string context = "{cluster: c, user: u}") => $"""
        apiVersion: v1
        kind: Config
        clusters: [{"{"}name: c, cluster: {cluster}{"}"}]
        users: [{"{"}name: u, user: {user}{"}"}]
        contexts: [{"{"}name: x, context: {context}{"}"}, {"{"}name: other, context: {"{"}cluster: nowhere{"}"}{"}"}]
        current-context: x
        """;

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) Chain(string leafName, string caName = "test-ca")
    {
        var authority = TestAuthority.Create(caName);
        return (authority.Certificate, authority.Issue(leafName, server: true, leafName).Certificate);
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void A_token_user_with_a_CA_file_relative_to_the_kubeconfig_reads_as_written()
    {
        var (ca, _) = Chain("api.example");
        Write("ca.crt", ca.ExportCertificatePem());
        var endpoint = Load(Config("{server: \"https://127.0.0.1:6443\", certificate-authority: ca.crt}"));
        Assert.Equal(new Uri("https://127.0.0.1:6443"), endpoint.Server);
        Assert.Equal(ca.Thumbprint, Assert.Single(endpoint.Authorities!).Thumbprint);
        Assert.False(endpoint.SkipTlsVerify);
        Assert.Null(endpoint.ClientCertificate);
        var credentials = Assert.IsType<FixedCredentials>(endpoint.Credentials);
        Assert.Equal("Bearer abc", credentials.Header.ToString());
    }

    [Fact]
    public void Data_fields_win_over_files_and_a_client_certificate_with_its_key_is_loaded()
    {
        var (ca, leaf) = Chain("bgplb-client");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bgplb-client", key, HashAlgorithmName.SHA256);
        using var client = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var endpoint = Load(Config(
            $"{{server: \"https://api.example\", certificate-authority: missing.crt, certificate-authority-data: {Base64(ca.ExportCertificatePem())}, tls-server-name: api.internal}}",
            $"{{client-certificate-data: {Base64(client.ExportCertificatePem())}, client-key-data: {Base64(key.ExportPkcs8PrivateKeyPem())}}}"));
        Assert.Equal(ca.Thumbprint, Assert.Single(endpoint.Authorities!).Thumbprint);
        Assert.Equal("api.internal", endpoint.TlsServerName);
        Assert.Equal(client.Thumbprint, endpoint.ClientCertificate!.Thumbprint);
        Assert.True(endpoint.ClientCertificate.HasPrivateKey);
        Assert.Null(endpoint.Credentials);
        leaf.Dispose();
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Config\n", "current-context: not set")]
    [InlineData("current-context: x\nclusters: []\ncontexts: []\n", "contexts[x]: no entry of that name")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n", "clusters: no list of clusters, so clusters[c] is missing")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {user: u}}]\n", "contexts[x].context.cluster: not set")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: \"ftp://a\"}}]\n",
        "clusters[c].cluster.server: \"ftp://a\" is not an https:// or http:// URL")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: \"https://a\", insecure-skip-tls-verify: yes}}]\n",
        "clusters[c].cluster.insecure-skip-tls-verify: \"yes\" is not true or false")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: \"https://a\", certificate-authority-data: \"@@\"}}]\n",
        "clusters[c].cluster.certificate-authority-data: not base64")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: \"https://a\", certificate-authority-data: aGVsbG8=}}]\n",
        "clusters[c].cluster.certificate-authority: no PEM certificate in it")]
    [InlineData("current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: \"https://a\", proxy-url: \"ftp://p\"}}]\n",
        "clusters[c].cluster.proxy-url: \"ftp://p\" is not an http://, https:// or socks5:// URL")]
    [InlineData("- a\n- b\n", "not a kubeconfig (one YAML mapping with clusters, users and contexts)")]
    public void A_wrong_file_is_refused_naming_the_field(string yaml, string message) => Assert.Equal(message, Error(yaml));

    [Theory]
    [InlineData("{auth-provider: {name: gcp}}", "users[u].user.auth-provider: not supported (Kubernetes removed auth providers in 1.26); use an exec credential plugin")]
    [InlineData("{token: a, as: admin}", "users[u].user.as: impersonation is not supported; give the identity's own credentials")]
    [InlineData("{token: a, username: b, password: c}", "users[u].user: more than one of token/tokenFile, username/password and exec")]
    [InlineData("{username: b}", "users[u].user: username without password")]
    [InlineData("{client-key-data: aGVsbG8=}", "users[u].user: client-key without client-certificate")]
    [InlineData("{exec: {command: x}}", "users[u].user.exec.apiVersion: not set")]
    [InlineData("{exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}",
        "users[u].user.exec.apiVersion: \"client.authentication.k8s.io/v1alpha1\" is not one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1")]
    [InlineData("{exec: {apiVersion: client.authentication.k8s.io/v1, command: x, interactiveMode: Always}}",
        "users[u].user.exec.interactiveMode: Always needs a terminal, and bgplb runs without one")]
    public void A_user_bgplb_cannot_be_is_refused_naming_the_field(string user, string message) =>
        Assert.Equal(message, Error(Config("{server: \"https://a\"}", user)));

    [Fact]
    public void A_CA_together_with_insecure_skip_tls_verify_is_refused_as_clientcmd_does()
    {
        var (ca, _) = Chain("a");
        Assert.Equal("clusters[c].cluster: certificate-authority and insecure-skip-tls-verify: true together (the CA would never be checked)",
            Error(Config($"{{server: \"https://a\", insecure-skip-tls-verify: true, certificate-authority-data: {Base64(ca.ExportCertificatePem())}}}")));
    }

    [Fact]
    public void A_user_left_out_of_the_context_is_anonymous_and_a_missing_file_is_an_IO_error()
    {
        var endpoint = Load(Config("{server: \"http://127.0.0.1:8080\", insecure-skip-tls-verify: true}", context: "{cluster: c}"));
        Assert.Null(endpoint.Credentials);
        Assert.True(endpoint.SkipTlsVerify);
        Assert.ThrowsAny<IOException>(() => KubeConfig.FromFile(Path.Combine(_dir, "nothing"), _time));
        Assert.ThrowsAny<IOException>(() => Load(Config("{server: \"https://a\", certificate-authority: nothing.crt}")));
    }

    [Fact]
    public void The_server_certificate_must_chain_to_the_given_CA_and_name_the_server()
    {
        var (ca, leaf) = Chain("api.example");
        var (otherCa, _) = Chain("api.example", "other-ca");
        var endpoint = new ApiEndpoint(new Uri("https://api.example"), [ca], false, null, null, null, null);
        // The system's check fails the chain (an unknown root) and passes the name: ours builds it to the CA.
        Assert.True(endpoint.Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(endpoint.Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False((endpoint with { Authorities = [otherCa] }).Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        // Without a CA only the system's verdict counts.
        Assert.False((endpoint with { Authorities = null }).Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        // tls-server-name replaces the URL's host in the name check.
        var renamed = endpoint with { TlsServerName = "api.example" };
        Assert.True(renamed.Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False((endpoint with { TlsServerName = "other.example" }).Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True((endpoint with { Authorities = null, SkipTlsVerify = true }).Trusts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
    }

    [Fact]
    public async Task A_token_file_is_read_again_after_a_minute_or_a_401_and_an_unreadable_one_keeps_the_last_token()
    {
        var token = Write("token", "first\n");
        var credentials = Assert.IsType<TokenFileCredentials>(Load(Config("{server: \"https://a\"}", "{tokenFile: token}")).Credentials);
        Assert.Equal("Bearer first", (await credentials.HeaderAsync(default)).ToString());
        File.WriteAllText(token, "second");
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("Bearer first", (await credentials.HeaderAsync(default)).ToString());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Bearer second", (await credentials.HeaderAsync(default)).ToString());
        File.WriteAllText(token, "third");
        credentials.Rejected();
        Assert.Equal("Bearer third", (await credentials.HeaderAsync(default)).ToString());
        File.Delete(token);
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("Bearer third", (await credentials.HeaderAsync(default)).ToString());
        var empty = Write("empty", "\n");
        Assert.Equal("token file " + empty + " is empty", Assert.Throws<KubeConfigException>(() => new TokenFileCredentials(empty, _time)).Message);
    }

    [Fact]
    public void In_a_Pod_the_service_host_and_the_mounted_token_and_CA_are_used()
    {
        var (ca, _) = Chain("kubernetes.default.svc");
        Write("ca.crt", ca.ExportCertificatePem());
        Write("token", "pod-token");
        var endpoint = KubeConfig.InCluster(_time, "fd00:10:96::1", "443", _dir);
        Assert.Equal(new Uri("https://[fd00:10:96::1]:443/"), endpoint.Server);
        Assert.Equal(ca.Thumbprint, Assert.Single(endpoint.Authorities!).Thumbprint);
        Assert.IsType<TokenFileCredentials>(endpoint.Credentials);
        Assert.Equal("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
            Assert.Throws<KubeConfigException>(() => KubeConfig.InCluster(_time, null, "443", _dir)).Message);
    }

    private string Plugin(string body)
    {
        var path = Write("plugin.sh", "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private ApiCredentials ExecUser(string extra = "") =>
        Load(Config("{server: \"https://api.example:6443\"}",
            $"{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, args: [one], env: [{{name: GREETING, value: hi}}]{extra}}}}}")).Credentials!;

    [Fact]
    public async Task An_exec_plugin_runs_once_for_concurrent_requests_and_again_when_its_token_expires_or_is_refused()
    {
        var runs = Path.Combine(_dir, "runs");
        var info = Path.Combine(_dir, "info");
        // Each run appends a line, so the count of runs is the count of lines; the token carries it too.
        Plugin($"""
            echo "$1 $GREETING" >> {runs}
            printf '%s' "$KUBERNETES_EXEC_INFO" > {info}
            n=$(wc -l < {runs})
            echo '{"{"}"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"{"}"token":"t'$n'","expirationTimestamp":"2026-11-25T00:10:00Z"{"}"}{"}"}'
            """);
        var credentials = ExecUser(", provideClusterInfo: true");
        var headers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => credentials.HeaderAsync(default).AsTask()));
        Assert.All(headers, h => Assert.Equal("Bearer t1", h.ToString()));
        Assert.Equal(["one hi"], File.ReadAllLines(runs));
        Assert.Equal("""{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"server":"https://api.example:6443","insecure-skip-tls-verify":false}}}""",
            File.ReadAllText(info));
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("Bearer t1", (await credentials.HeaderAsync(default)).ToString());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Bearer t2", (await credentials.HeaderAsync(default)).ToString());
        credentials.Rejected();
        Assert.Equal("Bearer t3", (await credentials.HeaderAsync(default)).ToString());
    }

    [Theory]
    [InlineData("echo oops >&2; exit 3", "users[u].user.exec: {0}/plugin.sh exited 3: oops")]
    [InlineData("echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"x\",\"clientKeyData\":\"y\"}}'",
        "users[u].user.exec: {0}/plugin.sh answered with a client certificate; bgplb takes tokens from credential plugins (give the certificate as client-certificate/client-key instead)")]
    [InlineData("echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'",
        "users[u].user.exec: {0}/plugin.sh answered with apiVersion client.authentication.k8s.io/v1beta1, not the client.authentication.k8s.io/v1 it was asked for")]
    [InlineData("echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\",\"expirationTimestamp\":\"soon\"}}'",
        "users[u].user.exec: {0}/plugin.sh's status.expirationTimestamp \"soon\" is not an RFC 3339 time")]
    [InlineData("echo not-json", "users[u].user.exec: {0}/plugin.sh did not print an ExecCredential (JSON) but \"not-json\"")]
    public async Task A_plugin_that_fails_or_answers_what_bgplb_cannot_use_is_an_error_naming_it(string body, string message)
    {
        Plugin(body);
        var credentials = ExecUser();
        var error = await Assert.ThrowsAsync<KubeConfigException>(() => credentials.HeaderAsync(default).AsTask());
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, _dir), error.Message);
    }
}
