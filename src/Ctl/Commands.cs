using System.CommandLine;
using System.Globalization;
using System.Text;
using BgpLb.Admin.V1;
using Google.Protobuf;
using Grpc.Core;
using V1 = BgpLb.Admin.V1;

namespace BgpLb.Ctl;

/// <summary>Every verb of <c>bgplbctl</c>, each one admin API call rendered as a table, JSON or YAML.</summary>
internal static class Commands
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithIndentation());

    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var socket = new Option<string>("--socket") { Description = "the daemon's admin socket", DefaultValueFactory = _ => Connection.DefaultSocket, Recursive = true };
        var address = new Option<string?>("--address") { Description = "the daemon's TCP admin address HOST:PORT (TLS unless --insecure)", Recursive = true };
        var ca = new Option<string?>("--ca") { Description = "PEM CA that signs the daemon's certificate", Recursive = true };
        var cert = new Option<string?>("--cert") { Description = "PEM client certificate", Recursive = true };
        var key = new Option<string?>("--key") { Description = "PEM key of the client certificate", Recursive = true };
        var insecure = new Option<bool>("--insecure") { Description = "plaintext TCP (the daemon allows it on loopback only)", Recursive = true };
        var format = new Option<string>("--output", "-o") { Description = "table, json or yaml", DefaultValueFactory = _ => "table", Recursive = true };
        format.AcceptOnlyFromAmong("table", "json", "yaml");
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for the daemon's answer", DefaultValueFactory = _ => 30, Recursive = true };

        Context Context(ParseResult parsed) => new(
            new Connection(parsed.GetValue(socket)!, parsed.GetValue(address), parsed.GetValue(ca), parsed.GetValue(cert), parsed.GetValue(key), parsed.GetValue(insecure)),
            parsed.GetValue(format)!, TimeSpan.FromSeconds(parsed.GetValue(timeout)), output, error);

        Command Verb(string name, string description, Func<ParseResult, Context, Task<int>> action, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case Argument argument:
                        command.Arguments.Add(argument);
                        break;
                    case Option option:
                        command.Options.Add(option);
                        break;
                }
            }
            command.SetAction((parsed, _) => Call(Context(parsed), c => action(parsed, c)));
            return command;
        }

        var peerName = new Argument<string>("NAME") { Description = "the BGP peer (namespace/name, or name for objects without a namespace)" };
        var routesPeer = new Option<string>("--peer") { Description = "the BGP peer", Required = true };
        var received = new Option<bool>("--received") { Description = "what the peer announced to us (Adj-RIB-In) instead of what we advertise" };
        var file = new Argument<FileSystemInfo>("PATH") { Description = "a YAML file (multi-document), or a folder of *.yaml / *.yml files read as one configuration" };
        file.AcceptExistingOnly();
        var soft = new Option<bool>("--soft") { Description = "re-send every route (route refresh out) instead of resetting the session" };
        var status = new Option<bool>("--status") { Description = "only show the drain state" };
        var count = new Option<int>("--count") { Description = "stop after this many events (0: until interrupted)" };
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");

        var root = new RootCommand("bgplbctl: look into and steer a running bgplb daemon")
        {
            Verb("peers", "the BGP peers: state, uptime, counters, last error", (_, c) => Views.Peers(c)),
            Verb("peer", "one BGP peer in full: timers, capabilities, NOTIFICATIONs both ways", (p, c) => Views.Peer(c, p.GetValue(peerName)!), peerName),
            Verb("routes", "routes advertised to a peer, or received from it", (p, c) => Views.Routes(c, p.GetValue(routesPeer)!, p.GetValue(received)), routesPeer, received),
            Verb("vips", "every Service's VIPs, pool, and for each peer whether it is advertised and why not", (_, c) => Views.Vips(c)),
            Verb("pools", "address pools: in use and available per family", (_, c) => Views.Pools(c)),
            Verb("bfd", "BFD sessions", (_, c) => Views.Bfd(c)),
            Verb("l2", "L2 (ARP/NDP) ownership of VIPs", (_, c) => Views.L2(c)),
            Verb("config", "the running configuration: file, load time, last rejected reload, objects", (_, c) => Views.Config(c)),
            Verb("reload", "reload the configuration now; prints the errors when it is rejected", (_, c) => Actions.Reload(c)),
            Verb("validate", "check a configuration file or folder without applying it (the daemon's own checks)", (p, c) => Actions.Validate(c, p.GetValue(file)!), file),
            Verb("reset", "reset a BGP peer: hard (new session), or --soft (re-send routes)", (p, c) => Actions.Reset(c, p.GetValue(peerName)!, p.GetValue(soft)), peerName, soft),
            Verb("drain", "take this node out of service: GRACEFUL_SHUTDOWN, then withdraw (RFC 8326)", (p, c) => Actions.Drain(c, p.GetValue(status)), status),
            Verb("undrain", "put this node back into service", (_, c) => Actions.Undrain(c)),
            Verb("events", "stream the daemon's events (sessions, allocations, reloads, drain)", (p, c) => Actions.Events(c, p.GetValue(count)), count),
            Completion(shell, output),
            Convert.Create(output, error),
        };
        foreach (var option in new Option[] { socket, address, ca, cert, key, insecure, format, timeout })
        {
            root.Options.Add(option);
        }
        return root;
    }

    /// <summary>
    /// Runs one call with the error handling every verb shares: a daemon that cannot be reached, or
    /// that answers with an error, is exit code 1 with the reason on standard error.
    /// </summary>
    private static async Task<int> Call(Context context, Func<Context, Task<int>> action)
    {
        try
        {
            return await action(context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            var reason = Reason(context.Connection, e);
            await context.Error.WriteLineAsync($"error: cannot reach the daemon at {context.Connection.Where}: {reason}").ConfigureAwait(false);
            return Program.ExitFailure;
        }
        catch (RpcException e)
        {
            await context.Error.WriteLineAsync($"error: {e.Status.Detail} ({e.StatusCode})").ConfigureAwait(false);
            return Program.ExitFailure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return Program.ExitFailure;
        }
    }

    /// <summary>Why the daemon could not be reached, in the operator's terms (the socket's errno says more than gRPC's "Unavailable").</summary>
    private static string Reason(Connection connection, RpcException e)
    {
        var socket = Inner<System.Net.Sockets.SocketException>(e.Status.DebugException);
        return (connection.Address, socket?.SocketErrorCode) switch
        {
            (null, System.Net.Sockets.SocketError.AccessDenied) => "Permission denied (the admin socket is for the daemon's user only)",
            // connect(2) on a missing unix socket path: ENOENT, which .NET reports as AddressNotAvailable.
            (null, System.Net.Sockets.SocketError.AddressNotAvailable) => "the socket does not exist (is `bgplb run` running, with this --admin-socket?)",
            _ => socket?.Message ?? e.Status.DebugException?.Message ?? e.Status.Detail,
        };
    }

    private static T? Inner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static Command Completion(Argument<string> shell, TextWriter output)
    {
        var command = new Command("completion", "print a shell completion script: eval \"$(bgplbctl completion bash)\"") { shell };
        command.SetAction(parsed =>
        {
            // System.CommandLine answers "[suggest:POSITION] LINE" with the completions at POSITION.
            output.Write(parsed.GetValue(shell) == "bash"
                ? """
                  _bgplbctl_complete() {
                    local IFS=$'\n'
                    COMPREPLY=($(bgplbctl "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null))
                  }
                  complete -F _bgplbctl_complete bgplbctl

                  """
                : """
                  #compdef bgplbctl
                  _bgplbctl() {
                    local -a completions
                    completions=("${(@f)$(bgplbctl "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
                    compadd -a completions
                  }
                  compdef _bgplbctl bgplbctl

                  """);
            return 0;
        });
        return command;
    }

    /// <summary>Writes <paramref name="message"/> as JSON or YAML, or as <paramref name="table"/> says.</summary>
    public static async Task<int> Emit(Context context, IMessage message, Func<string> table)
    {
        var text = context.Format switch
        {
            "json" => Json.Format(message) + "\n",
            "yaml" => Yaml.FromJson(Json.Format(message)),
            _ => table(),
        };
        await context.Output.WriteAsync(text).ConfigureAwait(false);
        return 0;
    }

    public static string Ago(Google.Protobuf.WellKnownTypes.Duration? duration)
    {
        if (duration is null)
        {
            return "-";
        }
        var span = duration.ToTimeSpan();
        return span.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d{span.Hours:00}h{span.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours:00}:{span.Minutes:00}:{span.Seconds:00}");
    }

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "-" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Join(IEnumerable<string> items)
    {
        var text = new StringBuilder();
        foreach (var item in items)
        {
            text.Append(text.Length == 0 ? "" : " ").Append(item);
        }
        return text.Length == 0 ? "-" : text.ToString();
    }
}

/// <summary>What one invocation needs: how to reach the daemon, how to print, where.</summary>
internal sealed record Context(Connection Connection, string Format, TimeSpan Timeout, TextWriter Output, TextWriter Error)
{
    public V1.Admin.AdminClient Client() => new(Connection.Open());

    public DateTime Deadline => DateTime.UtcNow + Timeout;
}
