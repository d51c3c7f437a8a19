using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Where the API server is and how to talk to it, as a kubeconfig context or the Pod's service account says:
/// its URL, whom to trust for its certificate, our client certificate, and the credentials of each request.
/// </summary>
/// <param name="Authorities">The only roots trusted for the server's certificate (a kubeconfig's certificate-authority,
/// the service account's ca.crt); null: the system's roots.</param>
/// <param name="SkipTlsVerify">insecure-skip-tls-verify: any certificate is taken (kubectl's flag of the same name).</param>
/// <param name="TlsServerName">tls-server-name: the name the certificate must carry instead of the URL's host.</param>
/// <param name="Proxy">proxy-url; null: the environment's (HTTPS_PROXY, NO_PROXY), as client-go.</param>
internal sealed record ApiEndpoint(
    Uri Server,
    X509Certificate2Collection? Authorities,
    bool SkipTlsVerify,
    string? TlsServerName,
    Uri? Proxy,
    X509Certificate2? ClientCertificate,
    ApiCredentials? Credentials)
{
    /// <summary>client-go's dialer gives up a TCP connect after 30 s; without a bound a black-holed server holds a watch for minutes.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    public SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout };
        if (Proxy is not null)
        {
            handler.Proxy = new WebProxy(Proxy);
            handler.UseProxy = true;
        }
        if (Server.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    certificate is X509Certificate2 presented && Trusts(presented, chain, errors),
                ClientCertificates = ClientCertificate is null ? null : new X509CertificateCollection { ClientCertificate },
            };
        }
        return handler;
    }

    /// <summary>Whether the server's certificate is one this endpoint accepts: chained to <see cref="Authorities"/> (or the system's roots) and naming the server.</summary>
    internal bool Trusts(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (SkipTlsVerify)
        {
            return true;
        }
        if (TlsServerName is not null)
        {
            // The name the operator gave replaces the URL's host in the check (client-go's tls-server-name).
            if (!certificate.MatchesHostname(TlsServerName))
            {
                return false;
            }
            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }
        if (Authorities is null)
        {
            return errors == SslPolicyErrors.None;
        }
        // A kubeconfig's CA replaces the system's roots (client-go puts only it into RootCAs): the chain is built
        // again to end at it, with the intermediates the server sent.
        return CustomRoots.Chains(certificate, Authorities, chain);
    }
}
