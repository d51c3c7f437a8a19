using System.CommandLine;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon;

/// <summary>The options of the commands that run the engines (<c>run</c>, <c>speaker</c>): ports, logs, and the admin API's (<see cref="AdminCommandOptions"/>).</summary>
internal sealed class EngineCommandOptions
{
    private readonly Option<string> _logFormat = new("--log-format") { Description = "text or json: one line per event either way", DefaultValueFactory = _ => "text" };
    private readonly Option<LogLevel> _logLevel = new("--log-level") { Description = "the least severe events written", DefaultValueFactory = _ => LogLevel.Information };
    private readonly Option<int> _bgpPort = new("--bgp-port") { Description = "TCP port on which peers may connect to us ([::], both families); 0: do not listen", DefaultValueFactory = _ => 179 };
    private readonly Option<int> _heartbeatPort = new("--heartbeat-port") { Description = "UDP port of the L2 heartbeat between the daemons of the Nodes (docs/l2.md)", DefaultValueFactory = _ => RunOptions.DefaultHeartbeatPort };
    private readonly AdminCommandOptions _admin = new();

    public EngineCommandOptions()
    {
        _logFormat.AcceptOnlyFromAmong("text", "json");
        _bgpPort.Validators.Add(r =>
        {
            if (r.GetValue(_bgpPort) is < 0 or > 65535)
            {
                r.AddError("--bgp-port must be 0 to 65535");
            }
        });
        _heartbeatPort.Validators.Add(r =>
        {
            if (r.GetValue(_heartbeatPort) is < 1 or > 65535)
            {
                r.AddError("--heartbeat-port must be 1 to 65535");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _logFormat, _logLevel, _bgpPort, _heartbeatPort })
        {
            command.Options.Add(option);
        }
        _admin.AddTo(command);
    }

    /// <summary><paramref name="options"/> with the ports and the drain wait given.</summary>
    public RunOptions Apply(RunOptions options, ParseResult parsed) => options with
    {
        BgpPort = parsed.GetValue(_bgpPort), HeartbeatPort = parsed.GetValue(_heartbeatPort), DrainWait = _admin.DrainWait(parsed),
    };

    public AdminOptions Admin(ParseResult parsed) => _admin.Read(parsed);

    public bool Json(ParseResult parsed) => parsed.GetValue(_logFormat) == "json";

    public LogLevel Level(ParseResult parsed) => parsed.GetValue(_logLevel);
}
