using System.CommandLine;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Cluster;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon;

/// <summary>
/// <c>bgplb speaker</c> (DESIGN.md §4, docs/speaker.md): on each node, announces what the node should from the
/// cluster's objects and the addresses the controller wrote in Service status. SIGTERM / SIGINT stop every
/// session with an administrative shutdown (exit 0); bad arguments or no usable kubeconfig exit 2; anything
/// else that stops it exits 1.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class SpeakerCommand
{
    public const string DefaultDrainPath = "/run/bgplb/drain";

    public static Command Create()
    {
        var node = new Option<string>("--node")
        {
            Description = "this node's name, as its Node object is named (default: $NODE_NAME)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NODE_NAME") ?? "",
        };
        node.Validators.Add(r =>
        {
            if (string.IsNullOrEmpty(r.GetValue(node)))
            {
                r.AddError("--node is required (or $NODE_NAME, which the DaemonSet sets from spec.nodeName)");
            }
        });
        var kubeconfig = ClusterCommandOptions.Kubeconfig();
        var ns = ClusterCommandOptions.Namespace("namespace of the bgplb.io objects and of the Secrets they name");
        var lbClass = ClusterCommandOptions.LoadBalancerClass();
        var podName = new Option<string>("--pod-name")
        {
            Description = "the speaker's Pod, which owns this node's NodeState so that it goes with the Pod (default: $POD_NAME; none: no owner)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_NAME") ?? "",
        };
        var podUid = new Option<string>("--pod-uid")
        {
            Description = "that Pod's metadata.uid (default: $POD_UID); given with --pod-name or not at all",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_UID") ?? "",
        };
        podUid.Validators.Add(r =>
        {
            if (string.IsNullOrEmpty(r.GetValue(podName)) != string.IsNullOrEmpty(r.GetValue(podUid)))
            {
                r.AddError("--pod-name and --pod-uid go together (the DaemonSet sets $POD_NAME and $POD_UID from metadata.name and metadata.uid)");
            }
        });
        var drainFile = new Option<string>("--drain-file") { Description = "where a drain (bgplbctl drain) is kept across restarts of the speaker", DefaultValueFactory = _ => DefaultDrainPath };
        var command = new Command("speaker", "in a cluster: announce what this node should, from the cluster's objects and the addresses in Service status")
        {
            node, kubeconfig, ns, lbClass, drainFile, podName, podUid,
        };
        var engine = new EngineCommandOptions();
        engine.AddTo(command);
        command.SetAction((parsed, cancellationToken) =>
        {
            var options = new SpeakerOptions
            {
                Namespace = parsed.GetValue(ns)!,
                LoadBalancerClass = parsed.GetValue(lbClass) is { Length: > 0 } c ? c : null,
                Pod = parsed.GetValue(podName) is { Length: > 0 } pod ? new NodeStateOwner(pod, parsed.GetValue(podUid)!) : null,
            };
            // No config file and no state file: the source gives both; the path names what GetConfig shows.
            var run = engine.Apply(new RunOptions("", "", parsed.GetValue(node)!) { DrainPath = parsed.GetValue(drainFile) }, parsed);
            return RunAsync(options, run, parsed.GetValue(kubeconfig), engine.Admin(parsed), engine.Json(parsed), engine.Level(parsed));
        });
        return command;
    }

    private static async Task<int> RunAsync(SpeakerOptions options, RunOptions run, string? kubeconfig, AdminOptions admin, bool json, LogLevel level)
    {
        var problems = admin.Problems().ToList();
        var connection = ApiConnection.TryOpen(kubeconfig, out var problem);
        if (connection is null)
        {
            problems.Add(problem);
        }
        if (connection is null || problems.Count > 0)
        {
            connection?.Dispose();
            foreach (var text in problems)
            {
                Console.Error.WriteLine("error: " + text);
            }
            return Program.ExitInvalid;
        }
        using var loggers = new LineLoggerProvider(Console.Out, json, level, TimeProvider.System);
        var log = loggers.CreateLogger("BgpLb.Daemon.Speaker");
        using var stop = new StopSignals();
        using var api = connection;
        await using var speaker = new Speaker(api, options, run, loggers, TimeProvider.System);
        try
        {
            await using var server = await AdminServer.StartAsync(admin, speaker.Host, loggers, TimeProvider.System, stop.Token).ConfigureAwait(false);
            await speaker.RunAsync(stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException or HttpRequestException or ApiException)
        {
            Runtime.Log.Failed(log, e, e.Message);
            return 1;
        }
    }
}
