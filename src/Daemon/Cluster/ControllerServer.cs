using System.Net;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// The controller's admin socket and metrics endpoint. The socket serves the standard gRPC health service
/// (Serving once every watched kind is listed); the daemon's Admin service (peers, routes, VIPs) belongs
/// to the processes that announce. Metrics: leadership, Services holding addresses, status writes, Events.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // unix socket modes, as the daemon's admin socket
internal sealed class ControllerServer : IAsyncDisposable
{
    private readonly WebApplication? _admin;
    private readonly WebApplication? _metrics;

    private ControllerServer(WebApplication? admin, WebApplication? metrics)
    {
        _admin = admin;
        _metrics = metrics;
    }

    /// <exception cref="IOException">The socket or port cannot be taken.</exception>
    public static async Task<ControllerServer> StartAsync(string? socket, IPEndPoint? metricsAddress, Controller controller, ILoggerProvider loggers, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("BgpLb.Daemon.Admin");
        WebApplication? admin = null;
        if (socket is not null)
        {
            AdminServer.PrepareSocket(socket);
            var builder = WebApplication.CreateSlimBuilder();
            AdminServer.Quiet(builder, loggers);
            builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socket, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddGrpcHealthChecks().AddCheck("watches", () => controller.Synced
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("not every watched kind is listed yet"));
            builder.Services.Configure<HealthCheckPublisherOptions>(o =>
            {
                o.Delay = TimeSpan.Zero;
                o.Period = TimeSpan.FromSeconds(2);
            });
            admin = builder.Build();
            admin.MapGrpcHealthChecksService();
            await admin.StartAsync(cancellationToken).ConfigureAwait(false);
            // 0600 as the daemon's socket (docs/operations.md).
            File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Log.AdminListening(log, "unix:" + socket);
        }
        WebApplication? metrics = null;
        if (metricsAddress is not null)
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            var factory = Prometheus.Metrics.WithCustomRegistry(registry);
            var leader = factory.CreateGauge("bgplb_controller_leader", "1 while this replica holds the Lease");
            var holding = factory.CreateGauge("bgplb_controller_services_assigned", "Services holding addresses (on the leader)");
            var writes = factory.CreateGauge("bgplb_controller_status_writes_total", "status.loadBalancer.ingress writes sent since start");
            var objectWrites = factory.CreateGauge("bgplb_controller_object_status_writes_total", "status writes of configuration objects (condition Valid, pool usage) sent since start");
            var events = factory.CreateGauge("bgplb_controller_events_total", "Events written since start");
            registry.AddBeforeCollectCallback(() =>
            {
                leader.Set(controller.IsLeader ? 1 : 0);
                holding.Set(controller.Holding);
                writes.Set(controller.StatusWrites);
                objectWrites.Set(controller.ObjectStatusWrites);
                events.Set(controller.EventsWritten);
            });
            metrics = await AdminServer.StartMetricsAsync(metricsAddress, registry, loggers, log, cancellationToken).ConfigureAwait(false);
        }
        return new ControllerServer(admin, metrics);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _admin, _metrics })
        {
            if (app is not null)
            {
                await app.StopAsync().ConfigureAwait(false);
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
