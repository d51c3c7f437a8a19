using System.Globalization;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>BIRD 2 as the passive router, protocol <c>bgplb</c>; read through <c>birdc</c> on its own control socket.</summary>
internal sealed partial class BirdRouter(ResilienceLab lab, RouterConfig config) : Router(lab, config)
{
    public override string Name => "BIRD";

    protected override string PidFile => Path.Combine(Lab.Dir, "bird.pid");

    protected override string LogFile => Path.Combine(Lab.Dir, "bird.log");

    private string Socket => Path.Combine(Lab.Dir, "bird.ctl");

    // "graceful restart aware" (BIRD's default, written out): BIRD acts as the RFC 4724 receiving
    // speaker for a peer that advertises the capability, and drops routes at once for one that does not.
    // "error wait time 1, 5": after a failed session BIRD would otherwise refuse us for 60 s.
    private string BirdConfig() => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{LogFile}}" all;
        debug protocols { states };
        timeformat protocol iso long;
        protocol device { }
        protocol bgp bgplb {
          local {{NetnsLab.PeerV4}} as {{InteropScenario.PeerAsnNumber}};
          neighbor {{NetnsLab.HostV4}} as {{InteropScenario.OurAsn}};
          passive on;
          hold time {{Config.HoldTime}};
          graceful restart aware;
          error wait time 1, 5;
          {{(Config.Password is null ? "" : $"password \"{Config.Password}\";")}}
          ipv4 { import all; export none; };
          ipv6 { import all; export none; };
        }
        """;

    protected override void Launch()
    {
        File.WriteAllText(Path.Combine(Lab.Dir, "bird.conf"), BirdConfig());
        Lab.Ns($"bird -c {Lab.Dir}/bird.conf -s {Socket} -P {PidFile}");
    }

    /// <summary>A persistent control-socket connection, for polls every few milliseconds.</summary>
    public BirdControl Control() => new(Socket);

    public string Birdc(string command) => NetnsLab.Run($"birdc -s {Socket} {command}").Output;

    public override int Count(Afi family)
    {
        var table = family == Afi.IPv4 ? "master4" : "master6";
        var match = CountLine().Match(Birdc($"show route count protocol bgplb table {table}"));
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    public override string Describe() => Birdc("show protocols all bgplb");

    /// <summary>The protocol's state and the time it entered it ("up 2026-11-24 01:05:59.284").</summary>
    public string StateSince() => StateLine().Match(Birdc("show protocols bgplb")) is { Success: true } m ? $"{m.Groups[1].Value} {m.Groups[2].Value}" : "(no bgplb row)";

    [GeneratedRegex(@"(\d+) of \d+ routes for \d+ networks in table")]
    private static partial Regex CountLine();

    [GeneratedRegex(@"^bgplb\s+BGP\s+---\s+(\w+)\s+(\S+ \S+)", RegexOptions.Multiline)]
    private static partial Regex StateLine();
}
