using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace BgpLb.Ctl;

/// <summary>
/// How to reach the daemon: its unix socket (the default), or TCP with TLS (a client certificate
/// when the daemon asks for one, the daemon's certificate checked against <see cref="Ca"/>), or
/// plaintext TCP when <see cref="Insecure"/> (the daemon allows that on loopback only).
/// </summary>
internal sealed record Connection(string Socket, string? Address, string? Ca, string? Certificate, string? Key, bool Insecure)
{
    public const string DefaultSocket = "/run/bgplb/admin.sock";

    public GrpcChannel Open()
    {
        if (Address is null)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), cancellationToken).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            // The host name is not used: the connection goes to the socket.
            return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
        }
        if (Insecure)
        {
            return GrpcChannel.ForAddress("http://" + Address);
        }
        var tls = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions() };
        if (Certificate is not null)
        {
            tls.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Certificate, Key)];
        }
        if (Ca is not null)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(Ca);
            tls.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }
                // Only the given CA vouches for the daemon; the name is checked as usual.
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && chain.Build(new X509Certificate2(certificate));
            };
        }
        return GrpcChannel.ForAddress("https://" + Address, new GrpcChannelOptions { HttpHandler = tls });
    }

    /// <summary>Where we tried to connect, for error messages.</summary>
    public string Where => Address is null ? "unix:" + Socket : (Insecure ? "http://" : "https://") + Address;
}
