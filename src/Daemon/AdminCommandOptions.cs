using System.CommandLine;
using System.Net;
using BgpLb.Daemon.Admin;

namespace BgpLb.Daemon;

/// <summary>The options of <c>bgplb run</c> for the admin API, the metrics and drain (docs/operations.md).</summary>
internal sealed class AdminCommandOptions
{
    private readonly Option<string> _socket = new("--admin-socket") { Description = "unix socket of the admin API (mode 0600); \"\" for none", DefaultValueFactory = _ => AdminOptions.DefaultSocketPath };
    private readonly Option<string?> _address = new("--admin-address") { Description = "also serve the admin API on TCP (IP:PORT), with TLS" };
    private readonly Option<string?> _cert = new("--admin-tls-cert") { Description = "PEM certificate of the TCP admin listener" };
    private readonly Option<string?> _key = new("--admin-tls-key") { Description = "PEM private key of the TCP admin listener" };
    private readonly Option<string?> _clientCa = new("--admin-client-ca") { Description = "PEM CA that signs the certificates clients must present" };
    private readonly Option<bool> _noClientCert = new("--admin-no-client-cert") { Description = "TLS without client certificates (loopback addresses only)" };
    private readonly Option<bool> _insecure = new("--admin-insecure") { Description = "TCP without TLS (loopback addresses only)" };
    private readonly Option<string?> _metrics = new("--metrics-address") { Description = "Prometheus endpoint IP:PORT (path /metrics); \"\" for none", DefaultValueFactory = _ => AdminOptions.DefaultMetricsAddress };
    private readonly Option<double> _drainWait = new("--drain-wait") { Description = "seconds a drain announces GRACEFUL_SHUTDOWN before withdrawing (RFC 8326)", DefaultValueFactory = _ => 30 };

    public AdminCommandOptions()
    {
        foreach (var option in new[] { _address, _metrics })
        {
            option.Validators.Add(r =>
            {
                if (r.GetValue(option) is { Length: > 0 } text && !IPEndPoint.TryParse(text, out _))
                {
                    r.AddError($"{option.Name}: \"{text}\" is not IP:PORT (e.g. 127.0.0.1:7472 or [::1]:7473)");
                }
            });
        }
        _drainWait.Validators.Add(r =>
        {
            if (r.GetValue(_drainWait) is < 0 or > 86400)
            {
                r.AddError("--drain-wait must be 0 to 86400 seconds");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _socket, _address, _cert, _key, _clientCa, _noClientCert, _insecure, _metrics, _drainWait })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The options as given; <see cref="AdminOptions.Problems"/> says whether they can be used.</summary>
    public AdminOptions Read(ParseResult parsed) => new()
    {
        SocketPath = Empty(parsed.GetValue(_socket)),
        TcpAddress = Endpoint(parsed.GetValue(_address)),
        TlsCertificate = Empty(parsed.GetValue(_cert)),
        TlsKey = Empty(parsed.GetValue(_key)),
        ClientCa = Empty(parsed.GetValue(_clientCa)),
        NoClientCertificate = parsed.GetValue(_noClientCert),
        Insecure = parsed.GetValue(_insecure),
        MetricsAddress = Endpoint(parsed.GetValue(_metrics)),
    };

    public TimeSpan DrainWait(ParseResult parsed) => TimeSpan.FromSeconds(parsed.GetValue(_drainWait));

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>Parsed already by the validator above; "" means none.</summary>
    private static IPEndPoint? Endpoint(string? text) => string.IsNullOrEmpty(text) ? null : IPEndPoint.Parse(text);
}
