using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// BIRD 2, protocol <c>bgplb</c>, on its own control socket, read with <c>birdc</c> (BIRD 2.0 has no
/// JSON output): <c>show route all</c> prints one <c>BGP.name: value</c> line per attribute.
/// </summary>
internal sealed partial class BirdRouter(EndToEndLab lab, RouterSetup setup) : Router(lab, setup)
{
    public override string Name => "BIRD";

    private string PidFile => Path.Combine(Lab.Dir, "bird.pid");

    protected override IEnumerable<string> PidFiles => [PidFile];

    protected override string LogFile => Path.Combine(Lab.Dir, "bird.log");

    private string Socket => Path.Combine(Lab.Dir, "bird.ctl");

    // One protocol per session: "bgplb" with the node's IPv4 address, "bgplb6" with its IPv6 address.
    // iBGP: "direct" (BIRD treats iBGP as multihop with recursive next hops otherwise, and the lab
    // has no IGP). eBGP: "enforce first as" rejects a path that does not start with our AS.
    // "graceful restart on": BIRD keeps a restarting peer's routes, stale, for its restart time
    // (RFC 4724 §4.2); "aware", BIRD's default, is written out for the other tests.
    // "error wait time 1, 5": after a failed session BIRD would otherwise refuse us for 60 s.
    private string Config() => $$"""
        router id {{EndToEndLab.RouterAddress}};
        log "{{LogFile}}" all;
        debug protocols { states, events };
        protocol device { }
        {{(Setup.Bfd ? $"protocol bfd {{ interface \"*\" {{ min rx interval {Setup.BfdInterval} ms; min tx interval {Setup.BfdInterval} ms; multiplier 3; }}; }}" : "")}}
        {{Static()}}
        {{string.Concat(Setup.Sessions.Select((s, i) => Protocol(i == 0 ? "bgplb" : "bgplb6", s.Node, s.Router)))}}
        """;

    // Routes for the node's Adj-RIB-In: blackholes of BIRD's own, given their attributes on export.
    private string Static() => Setup.Exported is { Count: > 0 } exported
        ? $"protocol static towardsnode {{ ipv4; {string.Concat(exported.Select(p => $"route {p} blackhole; "))}}}"
        : "";

    private string Export() => Setup.Exported is { Count: > 0 }
        ? "export filter { if source = RTS_STATIC then { bgp_med = 42; bgp_community.add((64512, 7)); bgp_large_community.add((64512, 1, 2)); accept; } reject; }"
        : "export none";

    private string Protocol(string name, string node, string router) => $$"""
        protocol bgp {{name}} {
          local {{router}} as {{Setup.RouterAsn}};
          neighbor {{node}} as {{Setup.NodeAsn}};
          passive on;
          hold time 9;
          {{(Setup.Internal ? "direct;" : "enforce first as on;")}}
          graceful restart {{(Setup.GracefulRestart ? "on" : "aware")}};
          error wait time 1, 5;
          {{(Setup.Bfd ? "bfd on;" : "")}}
          ipv4 { import all; {{Export()}}; };
          ipv6 { import all; export none; };
        }

        """;

    protected override void Launch()
    {
        Require.Binaries("bird2", "bird", "birdc");
        File.WriteAllText(Path.Combine(Lab.Dir, "bird.conf"), Config());
        Lab.Router($"bird -c {Lab.Dir}/bird.conf -s {Socket} -P {PidFile}");
    }

    public string Birdc(string command) => NetnsLab.Run($"birdc -s {Socket} {command}").Output;

    // Every route in BIRD's tables is one of ours: no other protocol of this BIRD makes routes.
    public override IReadOnlySet<string> Prefixes() =>
        PrefixLine().Matches(Birdc("show route table master4") + Birdc("show route table master6"))
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    public override ReceivedRoute? Route(string prefix)
    {
        var text = Birdc($"show route all {prefix}");
        return PrefixLine().IsMatch(text) ? ReceivedRoute.FromBird(text) : null;
    }

    public override bool Established() => Birdc("show protocols bgplb").Contains("Established", StringComparison.Ordinal);

    /// <summary>BIRD shows a received shutdown communication in <c>show protocols all</c> as <c>Message: "..."</c>.</summary>
    public override string? ShutdownCommunication() => MessageLine().Match(ProtocolsAll()) is { Success: true } m ? m.Groups[1].Value : null;

    public string ProtocolsAll() => Birdc("show protocols all bgplb");

    /// <summary>The state BIRD's BFD shows for its session with the node's IPv4 address ("Up", "Down", ...), or null.</summary>
    public string? BfdState() => BfdSession()?.State;

    /// <summary>BIRD's "Interval" is its own transmit interval: max(its min tx, our Required Min RX), RFC 5880 §6.8.2.</summary>
    public override (string State, int IntervalMs)? BfdSession() =>
        BfdLine().Match(Birdc("show bfd sessions")) is { Success: true } m
            ? (m.Groups[1].Value, (int)Math.Round(double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) * 1000))
            : null;

    public override string BgpSessionIdentity() => ProtocolLine().Match(Birdc("show protocols bgplb")) is { Success: true } m ? m.Groups[1].Value : "";

    public override string Diagnostics() => $"{ProtocolsAll()}\n--- bird.log ---\n{ReadLog()}";

    [GeneratedRegex(@"^(\S+/\d+)\s+unicast", RegexOptions.Multiline)]
    private static partial Regex PrefixLine();

    // The node's IPv4 address (EndToEndLab.NodeAddress), the interface, the state, since, the interval in seconds.
    [GeneratedRegex(@"^203\.0\.113\.2\s+\S+\s+(\w+)\s+\S+\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex BfdLine();

    // name, proto, table, state, since.
    [GeneratedRegex(@"^bgplb\s+BGP\s+\S+\s+\S+\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex ProtocolLine();

    [GeneratedRegex(@"Message:\s+""?(.*?)""?\s*$", RegexOptions.Multiline)]
    private static partial Regex MessageLine();
}
