using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BgpLb.Daemon.Cluster;

namespace BgpLb.Daemon.Tests.Cluster;

/// <summary>
/// <see cref="ApiConnection"/> over real TLS on loopback, against a server of our own that asks for a client
/// certificate: the kubeconfig's CA is the only root trusted, the client certificate is presented, the
/// credentials are sent, tls-server-name replaces the URL's host. (The Kubernetes tests cover a token and
/// a CA against a real kube-apiserver.)
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the credential plugin is an executable with a mode
public sealed class ApiConnectionTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-apitls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>HTTPS exchanges on loopback, one connection each: asks for a client certificate, records what came, answers each status in turn with a small JSON body.</summary>
    private sealed class OneShotServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;

        public OneShotServer(X509Certificate2 certificate, X509Certificate2 clientAuthority, params int[] statuses)
        {
            _listener.Start();
            _serving = ServeAllAsync(certificate, clientAuthority, statuses.Length == 0 ? [200] : statuses);
        }

        /// <summary>The Authorization header of each request, in order.</summary>
        public List<string?> Authorizations { get; } = [];

        private async Task ServeAllAsync(X509Certificate2 certificate, X509Certificate2 clientAuthority, int[] statuses)
        {
            foreach (var status in statuses)
            {
                if (!await ServeAsync(certificate, clientAuthority, status))
                {
                    return;
                }
            }
        }

        /// <summary>As kube-apiserver's --client-ca-file: a client certificate counts only when it chains to that CA.</summary>
        private static bool Signed(X509Certificate? presented, X509Certificate2 authority) =>
            presented is X509Certificate2 certificate && CustomRoots.Chains(certificate, [authority]);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string? ClientSubject { get; private set; }

        public string? Authorization { get; private set; }

        /// <summary>One connection; false when it ended before a request was answered.</summary>
        private async Task<bool> ServeAsync(X509Certificate2 certificate, X509Certificate2 clientAuthority, int status)
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(client.GetStream(), false, (_, presented, _, _) => Signed(presented, clientAuthority));
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateRequired = true,
                });
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return false; // the client refused our certificate: the test asserts its side
            }
            ClientSubject = tls.RemoteCertificate?.Subject;
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer);
                if (read == 0)
                {
                    return false;
                }
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            Authorization = request.ToString().Split("\r\n").FirstOrDefault(l => l.StartsWith("Authorization: ", StringComparison.OrdinalIgnoreCase))?["Authorization: ".Length..];
            Authorizations.Add(Authorization);
            const string body = """{"kind":"Status","message":"hello"}""";
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {(status == 200 ? "OK" : "Unauthorized")}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
    }

    private string Kubeconfig(int port, TestAuthority trusted, (X509Certificate2 Certificate, ECDsa Key) client, string? tlsServerName = null,
        string credentials = "token: secret-token")
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        var path = Path.Combine(_dir, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:{port}
                certificate-authority-data: {B64(trusted.Certificate.ExportCertificatePem())}
            {(tlsServerName is null ? "" : "    tls-server-name: " + tlsServerName)}
            users:
            - name: u
              user:
                client-certificate-data: {B64(client.Certificate.ExportCertificatePem())}
                client-key-data: {B64(client.Key.ExportPkcs8PrivateKeyPem())}
                {credentials}
            contexts:
            - name: x
              context: {"{"}cluster: c, user: u{"}"}
            current-context: x
            """);
        return path;
    }

    [Fact]
    public async Task The_CA_of_the_kubeconfig_is_trusted_and_the_client_certificate_and_token_are_sent()
    {
        var ca = TestAuthority.Create("test-ca");
        var server = ca.Issue("apiserver", server: true, "127.0.0.1");
        var client = ca.Issue("bgplb-speaker", server: false);
        await using var api = new OneShotServer(server.Certificate, ca.Certificate);
        using var connection = ApiConnection.Open(Kubeconfig(api.Port, ca, client));
        using var answer = await connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("hello", answer.RootElement.GetProperty("message").GetString());
        Assert.Equal("CN=bgplb-speaker", api.ClientSubject);
        Assert.Equal("Bearer secret-token", api.Authorization);
    }

    [Fact]
    public async Task A_server_certificate_from_another_CA_is_refused()
    {
        var ca = TestAuthority.Create("test-ca");
        var other = TestAuthority.Create("other-ca");
        var server = other.Issue("apiserver", server: true, "127.0.0.1");
        var client = ca.Issue("bgplb-speaker", server: false);
        await using var api = new OneShotServer(server.Certificate, ca.Certificate);
        using var connection = ApiConnection.Open(Kubeconfig(api.Port, ca, client));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Null(api.Authorization);
    }

    [Fact]
    public async Task Tls_server_name_replaces_the_address_in_the_name_check()
    {
        var ca = TestAuthority.Create("test-ca");
        var server = ca.Issue("apiserver", server: true, "api.example");
        var client = ca.Issue("bgplb-speaker", server: false);
        await using (var refused = new OneShotServer(server.Certificate, ca.Certificate))
        {
            using var connection = ApiConnection.Open(Kubeconfig(refused.Port, ca, client));
            // The certificate names api.example, the URL 127.0.0.1: without tls-server-name that is a mismatch.
            await Assert.ThrowsAsync<HttpRequestException>(() => connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        }
        await using var api = new OneShotServer(server.Certificate, ca.Certificate);
        using var named = ApiConnection.Open(Kubeconfig(api.Port, ca, client, tlsServerName: "api.example"));
        using var answer = await named.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("Bearer secret-token", api.Authorization);
    }

    [Fact]
    public async Task A_401_makes_the_next_request_read_the_token_file_again()
    {
        var ca = TestAuthority.Create("test-ca");
        var server = ca.Issue("apiserver", server: true, "127.0.0.1");
        var client = ca.Issue("bgplb-speaker", server: false);
        var token = Path.Combine(_dir, "token");
        File.WriteAllText(token, "old-token");
        await using var api = new OneShotServer(server.Certificate, ca.Certificate, 401, 200);
        using var connection = ApiConnection.Open(Kubeconfig(api.Port, ca, client, credentials: "tokenFile: token"));
        var refused = await Assert.ThrowsAsync<ApiException>(() => connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        // The kubelet rotated the token; without the 401 it would be read again only after a minute.
        File.WriteAllText(token, "new-token");
        using var answer = await connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Bearer old-token", "Bearer new-token"], api.Authorizations);
    }

    [Fact]
    public async Task A_credential_plugin_that_fails_fails_the_request_as_an_HttpRequestException_the_callers_retry()
    {
        var ca = TestAuthority.Create("test-ca");
        var client = ca.Issue("bgplb-speaker", server: false);
        var plugin = Path.Combine(_dir, "plugin.sh");
        File.WriteAllText(plugin, "#!/bin/sh\necho no credentials today >&2\nexit 1\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Port 9 on loopback: nothing is sent, the plugin fails first.
        using var connection = ApiConnection.Open(Kubeconfig(9, ca, client,
            credentials: "exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh}"));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.GetAsync("api", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        var cause = Assert.IsType<KubeConfigException>(error.InnerException);
        Assert.Equal($"users[u].user.exec: {plugin} exited 1: no credentials today", cause.Message);
        Assert.StartsWith("credentials for https://127.0.0.1:9/: ", error.Message, StringComparison.Ordinal);
    }
}
