using System.CommandLine;
using System.Runtime.InteropServices;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon;

/// <summary>
/// <c>bgplb run --config PATH</c> (DESIGN §4): the standalone daemon. An invalid config at start exits 2
/// with every error; SIGHUP and file changes reload; SIGTERM / SIGINT stop every session with an
/// administrative shutdown and exit 0; anything else that stops it exits 1.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // unix socket modes of the admin API
internal static class RunCommand
{
    public const string DefaultStatePath = "/var/lib/bgplb/state.json";

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "a YAML file or a folder of them (multi-document, Kubernetes-shaped)", Required = true };
        var state = new Option<string>("--state") { Description = "where allocations are kept across restarts (written atomically)", DefaultValueFactory = _ => DefaultStatePath };
        var node = new Option<string>("--node") { Description = "this node's name, for node selectors (default: the host name)", DefaultValueFactory = _ => Environment.MachineName };
        var command = new Command("run", "run the daemon standalone: allocate VIPs for the Services of the config and announce them to its BGP peers")
        {
            config, state, node,
        };
        var engine = new EngineCommandOptions();
        engine.AddTo(command);
        command.SetAction((parsed, cancellationToken) => RunAsync(
            engine.Apply(new RunOptions(parsed.GetValue(config)!, parsed.GetValue(state)!, parsed.GetValue(node)!), parsed),
            engine.Admin(parsed), engine.Json(parsed), engine.Level(parsed)));
        return command;
    }

    private static async Task<int> RunAsync(RunOptions options, AdminOptions admin, bool json, LogLevel level)
    {
        var problems = admin.Problems().ToList();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("error: " + problem);
            }
            return Program.ExitInvalid;
        }
        using var loggers = new LineLoggerProvider(Console.Out, json, level, TimeProvider.System);
        var log = loggers.CreateLogger("BgpLb.Daemon");
        // Signals are taken before the first load, which takes seconds with 100,000 Services: a SIGHUP
        // then must not end the process (the default action), and a SIGTERM must still stop it in order.
        using var stop = new CancellationTokenSource();
        DaemonHost? running = null;
        var hangupWhileStarting = 0;
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we stop in order (Cease to every peer), not at the runtime's default
            stop.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            // Flag first, then look for the host: whichever of this and the start-up check comes
            // second sees the other's write, so no SIGHUP is lost (two reload requests merge into one).
            Volatile.Write(ref hangupWhileStarting, 1);
            Volatile.Read(ref running)?.RequestReload("SIGHUP", immediate: true);
        });

        var cache = new ConfigCache();
        var loaded = ConfigLoader.Load(options.ConfigPath, cache);
        if (loaded.Snapshot is not { } snapshot)
        {
            foreach (var diagnostic in loaded.Diagnostics)
            {
                Console.Error.WriteLine(diagnostic);
            }
            Console.Error.WriteLine($"invalid: {loaded.Errors.Count()} error(s) in {options.ConfigPath}; nothing was started");
            return Program.ExitInvalid;
        }
        if (stop.IsCancellationRequested)
        {
            return 0; // stopped while reading the config: nothing was announced yet
        }
        // The load's garbage (each document's YAML nodes, promoted while the next were read) goes before the
        // admin server's setup adds its own on top: at 100,000 Services the two together were the start's peak.
        DaemonHost.Compact();
        await using var host = new DaemonHost(options, loggers, TimeProvider.System, cache);
        Volatile.Write(ref running, host);
        if (Interlocked.Exchange(ref hangupWhileStarting, 0) == 1)
        {
            // The files may have changed while they were being read.
            host.RequestReload("SIGHUP during start", immediate: true);
        }
        try
        {
            await using var server = await AdminServer.StartAsync(admin, host, loggers, TimeProvider.System, stop.Token).ConfigureAwait(false);
            await host.RunAsync(snapshot, host.LogWarnings(loaded), stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException)
        {
            var reason = e.Message;
            Runtime.Log.Failed(log, e, reason);
            return 1;
        }
    }
}
