using System.Net;

namespace BgpLb.Daemon.Admin;

/// <summary>
/// Where the admin API and the metrics listen. The admin API is a unix socket (mode 0600, owned by
/// the daemon's user) unless TCP is asked for; TCP needs TLS, and client certificates unless they
/// are turned off for a loopback address; plaintext TCP only on loopback and only when asked
/// explicitly (a test or a local tool), never by default.
/// </summary>
public sealed record AdminOptions
{
    public const string DefaultSocketPath = "/run/bgplb/admin.sock";
    public const string DefaultMetricsAddress = "127.0.0.1:7472";

    /// <summary>The unix socket; null: none.</summary>
    public string? SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>TCP endpoint for the admin API; null: none.</summary>
    public IPEndPoint? TcpAddress { get; init; }

    /// <summary>PEM certificate (chain) and key of the TCP listener.</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>PEM CA whose certificates clients must present.</summary>
    public string? ClientCa { get; init; }

    /// <summary>TLS without client certificates; loopback only.</summary>
    public bool NoClientCertificate { get; init; }

    /// <summary>TCP without TLS; loopback only.</summary>
    public bool Insecure { get; init; }

    /// <summary>Prometheus endpoint (path /metrics); null: none.</summary>
    public IPEndPoint? MetricsAddress { get; init; }

    /// <summary>What is wrong with these options, each naming the flag; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (TcpAddress is null)
        {
            if (TlsCertificate is not null || TlsKey is not null || ClientCa is not null || NoClientCertificate || Insecure)
            {
                yield return "--admin-tls-cert, --admin-tls-key, --admin-client-ca, --admin-no-client-cert and --admin-insecure apply to TCP only: give --admin-address too";
            }
            yield break;
        }
        var loopback = IPAddress.IsLoopback(TcpAddress.Address);
        if (Insecure)
        {
            if (!loopback)
            {
                yield return $"--admin-insecure: plaintext TCP is allowed on a loopback address only, not {TcpAddress.Address}; use TLS (--admin-tls-cert, --admin-tls-key, --admin-client-ca)";
            }
            if (TlsCertificate is not null || TlsKey is not null || ClientCa is not null)
            {
                yield return "--admin-insecure turns TLS off: it cannot be given with --admin-tls-cert, --admin-tls-key or --admin-client-ca";
            }
            yield break;
        }
        if (TlsCertificate is null || TlsKey is null)
        {
            yield return $"--admin-address {TcpAddress}: TCP needs TLS: give --admin-tls-cert and --admin-tls-key (PEM), or --admin-insecure on a loopback address";
        }
        if (ClientCa is null && !NoClientCertificate)
        {
            yield return "--admin-address: clients must present certificates: give --admin-client-ca (PEM), or --admin-no-client-cert on a loopback address";
        }
        if (NoClientCertificate && !loopback)
        {
            yield return $"--admin-no-client-cert is allowed on a loopback address only, not {TcpAddress.Address}";
        }
        if (NoClientCertificate && ClientCa is not null)
        {
            yield return "--admin-no-client-cert and --admin-client-ca contradict each other";
        }
    }
}
