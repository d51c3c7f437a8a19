using System.Security.Cryptography.X509Certificates;
using BgpLb.Daemon.Metrics;
using BgpLb.Daemon.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BgpLb.Daemon.Admin;

/// <summary>
/// Serves the admin API (gRPC, with the standard health service and server reflection) and the
/// metrics, on Kestrel, beside the daemon's own loops. Started after the first config is applied.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // unix socket modes of the admin API
internal sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication? _admin;
    private readonly WebApplication? _metrics;
    private readonly AdminEvents _events;
    private readonly DaemonMetrics? _daemonMetrics;

    private AdminServer(WebApplication? admin, WebApplication? metrics, AdminEvents events, DaemonMetrics? daemonMetrics)
    {
        _admin = admin;
        _metrics = metrics;
        _events = events;
        _daemonMetrics = daemonMetrics;
    }

    /// <exception cref="IOException">The socket or port cannot be taken, or a certificate cannot be read.</exception>
    public static async Task<AdminServer> StartAsync(AdminOptions options, DaemonHost host, ILoggerProvider loggers, TimeProvider time, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("BgpLb.Daemon.Admin");
        var events = new AdminEvents(host, time);
        WebApplication? admin = null;
        if (options.SocketPath is not null || options.TcpAddress is not null)
        {
            if (options.SocketPath is { } path)
            {
                PrepareSocket(path);
            }
            admin = BuildAdmin(options, host, events, loggers, time, log);
            await admin.StartAsync(cancellationToken).ConfigureAwait(false);
            if (options.SocketPath is { } socket)
            {
                var where = "unix:" + socket;
                // Kestrel creates the socket with the process umask; 0600 is the contract. The folder
                // (made 0700 when we create it) keeps others out in the moment between bind and chmod.
                File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                Log.AdminListening(log, where);
            }
            if (options.TcpAddress is { } tcp)
            {
                var where = (options.Insecure ? "http://" : "https://") + tcp;
                Log.AdminListening(log, where);
            }
        }
        WebApplication? metrics = null;
        DaemonMetrics? daemonMetrics = null;
        if (options.MetricsAddress is { } address)
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            daemonMetrics = new DaemonMetrics(registry, host, time);
            metrics = await StartMetricsAsync(address, registry, loggers, log, cancellationToken).ConfigureAwait(false);
        }
        return new AdminServer(admin, metrics, events, daemonMetrics);
    }

    /// <summary>Serves <paramref name="registry"/> on <paramref name="address"/>, path /metrics (the daemon's and the controller's endpoint).</summary>
    internal static async Task<WebApplication> StartMetricsAsync(System.Net.IPEndPoint address, CollectorRegistry registry, ILoggerProvider loggers, ILogger log, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        Quiet(builder, loggers);
        builder.WebHost.ConfigureKestrel(k => k.Listen(address));
        var metrics = builder.Build();
        metrics.MapMetrics("/metrics", registry);
        await metrics.StartAsync(cancellationToken).ConfigureAwait(false);
        var where = address.ToString();
        Log.MetricsListening(log, where);
        return metrics;
    }

    /// <summary>
    /// Makes the socket's folder (0700) and removes a socket that a killed daemon left, which would
    /// make the bind fail; a socket that answers belongs to a running daemon and is left alone.
    /// </summary>
    /// <exception cref="IOException">Another daemon listens on <paramref name="socket"/>.</exception>
    internal static void PrepareSocket(string socket)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(socket))!;
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (!File.Exists(socket))
        {
            return;
        }
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
                throw new IOException($"admin socket {socket}: another bgplb answers on it; stop it or give this one another --admin-socket");
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Nobody listens: a leftover.
            }
        }
        File.Delete(socket);
    }

    private static WebApplication BuildAdmin(AdminOptions options, DaemonHost host, AdminEvents events, ILoggerProvider loggers, TimeProvider time, ILogger log)
    {
        var builder = WebApplication.CreateSlimBuilder();
        Quiet(builder, loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (options.SocketPath is { } socket)
            {
                kestrel.ListenUnixSocket(socket, l => l.Protocols = HttpProtocols.Http2);
            }
            if (options.TcpAddress is { } tcp)
            {
                kestrel.Listen(tcp, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    if (!options.Insecure)
                    {
                        l.UseHttps(Https(options));
                    }
                });
            }
        });
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        // Health: Serving once a configuration is applied (the daemon announces something), NotServing before.
        // The checks are published at once and every 2 s, not after ASP.NET's default 5 s delay.
        builder.Services.AddGrpcHealthChecks().AddCheck("config", () => host.Current is null
            ? HealthCheckResult.Unhealthy("no configuration applied yet")
            : HealthCheckResult.Healthy());
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(2);
        });
        builder.Services.AddSingleton(new AdminService(host, events, time, log));
        var app = builder.Build();
        app.MapGrpcService<AdminService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        return app;
    }

    private static HttpsConnectionAdapterOptions Https(AdminOptions options)
    {
        var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificate!, options.TlsKey!);
        var https = new HttpsConnectionAdapterOptions { ServerCertificate = certificate };
        if (options.ClientCa is { } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (client, _, _) =>
            {
                // Only our CA counts, not the system's: any public certificate must not open the admin API.
                return CustomRoots.Chains(client, authorities);
            };
        }
        return https;
    }

    /// <summary>Kestrel's own events through the daemon's line logger, warnings and worse only.</summary>
    internal static void Quiet(WebApplicationBuilder builder, ILoggerProvider loggers)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(loggers);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The health service's own verdicts are its answers, not events: "Unhealthy" before the first
        // config is applied would read as an error in the daemon's log.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.StopAsync().ConfigureAwait(false);
            await _admin.DisposeAsync().ConfigureAwait(false);
        }
        if (_metrics is not null)
        {
            await _metrics.StopAsync().ConfigureAwait(false);
            await _metrics.DisposeAsync().ConfigureAwait(false);
        }
        _daemonMetrics?.Dispose();
        _events.Dispose();
    }
}
