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
public sealed class ApiConnectionTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-apitls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>One HTTPS exchange on loopback: asks for a client certificate, records what came, answers a small JSON body.</summary>
    private sealed class OneShotServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;

        public OneShotServer(X509Certificate2 certificate, X509Certificate2 clientAuthority)
        {
            _listener.Start();
            _serving = ServeAsync(certificate, clientAuthority);
        }

        /// <summary>As kube-apiserver's --client-ca-file: a client certificate counts only when it chains to that CA.</summary>
        private static bool Signed(X509Certificate? presented, X509Certificate2 authority)
        {
            if (presented is not X509Certificate2 certificate)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string? ClientSubject { get; private set; }

        public string? Authorization { get; private set; }

        private async Task ServeAsync(X509Certificate2 certificate, X509Certificate2 clientAuthority)
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
                return; // the client refused our certificate: the test asserts its side
            }
            ClientSubject = tls.RemoteCertificate?.Subject;
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            Authorization = request.ToString().Split("\r\n").FirstOrDefault(l => l.StartsWith("Authorization: ", StringComparison.OrdinalIgnoreCase))?["Authorization: ".Length..];
            const string body = """{"kind":"Status","message":"hello"}""";
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
    }

    private string Kubeconfig(int port, TestAuthority trusted, (X509Certificate2 Certificate, ECDsa Key) client, string? tlsServerName = null)
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
                token: secret-token
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
}
