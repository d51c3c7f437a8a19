using System.CommandLine;
using System.Globalization;
using System.Net;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Cluster;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon;

/// <summary>
/// <c>bgplb controller</c> (DESIGN.md §4, docs/controller.md): allocates for the cluster's LoadBalancer
/// Services and writes their status, one replica at a time (Lease). SIGTERM / SIGINT stop it (exit 0);
/// bad arguments or no usable kubeconfig exit 2; anything else that stops it exits 1.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ControllerCommand
{
    public static Command Create()
    {
        var kubeconfig = ClusterCommandOptions.Kubeconfig();
        var ns = ClusterCommandOptions.Namespace("namespace of the Lease and of the IPAddressPools read");
        var lbClass = ClusterCommandOptions.LoadBalancerClass();
        var identity = new Option<string>("--identity")
        {
            Description = "this replica's name in the Lease (default: $POD_NAME, else host name and process id)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : Environment.MachineName + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        var leaseDuration = Seconds("--lease-duration", "seconds a Lease holds without renewal: a dead leader is replaced after at most this", 15);
        var renewDeadline = Seconds("--renew-deadline", "seconds the leader keeps trying to renew before it stops leading", 10);
        var retryPeriod = Seconds("--retry-period", "seconds between tries to take or renew the Lease", 2);
        var logFormat = new Option<string>("--log-format") { Description = "text or json: one line per event either way", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var logLevel = new Option<LogLevel>("--log-level") { Description = "the least severe events written", DefaultValueFactory = _ => LogLevel.Information };
        var socket = new Option<string>("--admin-socket") { Description = "unix socket of the gRPC health service (mode 0600); \"\" for none", DefaultValueFactory = _ => AdminOptions.DefaultSocketPath };
        var metrics = new Option<string>("--metrics-address") { Description = "Prometheus endpoint IP:PORT (path /metrics); \"\" for none", DefaultValueFactory = _ => AdminOptions.DefaultMetricsAddress };
        metrics.Validators.Add(r =>
        {
            if (r.GetValue(metrics) is { Length: > 0 } text && !IPEndPoint.TryParse(text, out _))
            {
                r.AddError($"--metrics-address: \"{text}\" is not IP:PORT (e.g. 127.0.0.1:7472)");
            }
        });
        var command = new Command("controller", "in a cluster: allocate addresses for LoadBalancer Services and write their status (one active replica, Lease leader election)")
        {
            kubeconfig, ns, lbClass, identity, leaseDuration, renewDeadline, retryPeriod, logFormat, logLevel, socket, metrics,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            // Checked here, not in a command validator: there an option left at its default reads as 0,
            // which refused every start without the three options (the manifest's).
            if (parsed.GetValue(renewDeadline) >= parsed.GetValue(leaseDuration) || parsed.GetValue(retryPeriod) >= parsed.GetValue(renewDeadline))
            {
                Console.Error.WriteLine("error: --retry-period < --renew-deadline < --lease-duration is required (a leader must renew before its Lease runs out)");
                return Task.FromResult(Program.ExitInvalid);
            }
            var options = new ControllerOptions
            {
                Namespace = parsed.GetValue(ns)!,
                Identity = parsed.GetValue(identity)!,
                LoadBalancerClass = parsed.GetValue(lbClass) is { Length: > 0 } c ? c : null,
                LeaseDuration = TimeSpan.FromSeconds(parsed.GetValue(leaseDuration)),
                RenewDeadline = TimeSpan.FromSeconds(parsed.GetValue(renewDeadline)),
                RetryPeriod = TimeSpan.FromSeconds(parsed.GetValue(retryPeriod)),
            };
            var metricsText = parsed.GetValue(metrics);
            return RunAsync(options, parsed.GetValue(kubeconfig), Empty(parsed.GetValue(socket)), string.IsNullOrEmpty(metricsText) ? null : IPEndPoint.Parse(metricsText),
                parsed.GetValue(logFormat) == "json", parsed.GetValue(logLevel));
        });
        return command;
    }

    private static Option<double> Seconds(string name, string description, double value)
    {
        var option = new Option<double>(name) { Description = description, DefaultValueFactory = _ => value };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is <= 0 or > 3600)
            {
                r.AddError($"{name} must be more than 0 and at most 3600 seconds");
            }
        });
        return option;
    }

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static async Task<int> RunAsync(ControllerOptions options, string? kubeconfig, string? socket, IPEndPoint? metrics, bool json, LogLevel level)
    {
        using var loggers = new LineLoggerProvider(Console.Out, json, level, TimeProvider.System);
        var log = loggers.CreateLogger("BgpLb.Daemon.Controller");
        if (ApiConnection.TryOpen(kubeconfig, out var problem) is not { } connection)
        {
            Console.Error.WriteLine("error: " + problem);
            return Program.ExitInvalid;
        }
        using var stop = new StopSignals();
        using var api = connection;
        using var controller = new Controller(api, options, log, TimeProvider.System);
        try
        {
            await using var server = await ControllerServer.StartAsync(socket, metrics, controller, loggers, stop.Token).ConfigureAwait(false);
            await controller.RunAsync(stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ApiException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            Log.Failed(log, e, e.Message);
            return 1;
        }
    }
}
