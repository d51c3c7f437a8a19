using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>FRR (zebra and bgpd, no system config), read with <c>vtysh -c '... json'</c> on its own vty socket.</summary>
internal sealed partial class FrrRouter(EndToEndLab lab, RouterSetup setup) : Router(lab, setup)
{
    private const string Bgpd = "/usr/lib/frr/bgpd";
    private const string Zebra = "/usr/lib/frr/zebra";
    private const string Bfdd = "/usr/lib/frr/bfdd";

    public override string Name => "FRR";

    protected override IEnumerable<string> PidFiles => [Path.Combine(Lab.Dir, "bgpd.pid"), Path.Combine(Lab.Dir, "bfdd.pid"), Path.Combine(Lab.Dir, "zebra.pid")];

    protected override string LogFile => Path.Combine(Lab.Dir, "bgpd.log");

    private static string Neighbor => EndToEndLab.NodeAddress;

    // FRR's graceful-restart default is "helper" (the RFC 4724 receiving speaker); "bgp graceful-restart"
    // is not needed for FRR to keep a restarting peer's routes. A neighbour per session, each active
    // for both families (the daemon decides what travels where).
    private string Config()
    {
        var remoteAs = Setup.Internal ? "internal" : Setup.NodeAsn.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            frr defaults traditional
            hostname bgplb-frr
            log file {LogFile} debugging
            debug bgp neighbor-events
            !
            router bgp {Setup.RouterAsn}
             bgp router-id {EndToEndLab.RouterAddress}
             no bgp ebgp-requires-policy
             no bgp default ipv4-unicast

            """);
        foreach (var (node, router) in Setup.Sessions)
        {
            text.Append(CultureInfo.InvariantCulture, $" neighbor {node} remote-as {remoteAs}\n");
            if (Setup.Bfd)
            {
                // Before update-source: FRR 8.4 keys the BFD session by the local address it knows when
                // "bfd" is read; the other way round it re-keys it once BGP is up, a BFD flap that drops BGP.
                text.Append(CultureInfo.InvariantCulture, $" neighbor {node} bfd\n neighbor {node} bfd profile fast\n");
            }
            text.Append(CultureInfo.InvariantCulture, $" neighbor {node} update-source {router}\n")
                .Append(CultureInfo.InvariantCulture, $" neighbor {node} timers 3 9\n neighbor {node} passive\n");
        }
        foreach (var family in (string[])["ipv4", "ipv6"])
        {
            text.Append(CultureInfo.InvariantCulture, $" address-family {family} unicast\n");
            foreach (var (node, _) in Setup.Sessions)
            {
                text.Append(CultureInfo.InvariantCulture, $"  neighbor {node} activate\n");
            }
            text.Append(" exit-address-family\n");
        }
        return text.Append("exit\n").ToString();
    }

    /// <summary>
    /// zebra first: FRR marks a path valid once zebra's next-hop tracking resolves its next hop, and
    /// bgpd without zebra knows no interface (an IPv6 link-local next hop is then unusable).
    /// </summary>
    protected override void Launch()
    {
        Require.Binaries("frr", Bgpd, Zebra, "vtysh");
        File.WriteAllText(Path.Combine(Lab.Dir, "zebra.conf"), "hostname bgplb-frr\n");
        File.WriteAllText(Path.Combine(Lab.Dir, "bgpd.conf"), Config());
        // -u root -g frrvty, -S: stay root (the directory is ours); -P 0: no TCP vty; -l: listen on the
        // lab address only. zebra keeps writing to the stdout it was started with: a file, not a pipe.
        var dir = Lab.Dir;
        Lab.Router($"{Zebra} -d -u root -g frrvty -f {dir}/zebra.conf -i {dir}/zebra.pid --vty_socket {dir} -P 0 -z {dir}/zserv.api >{dir}/zebra.out 2>&1 </dev/null");
        Lab.Router($"{Bgpd} -d -S -f {dir}/bgpd.conf -i {dir}/bgpd.pid --vty_socket {dir} -P 0 {string.Concat(Setup.Sessions.Select(s => $"-l {s.Router} "))}-z {dir}/zserv.api");
        if (Setup.Bfd)
        {
            // Real-time, as our BFD threads are: on the loaded test machine a late peer is not our failure.
            Require.Binaries("util-linux", "chrt");
            File.WriteAllText(Path.Combine(dir, "bfdd.conf"), $"""
                hostname bgplb-frr
                log file {dir}/bfdd.log informational
                bfd
                 profile fast
                  receive-interval {Setup.BfdInterval}
                  transmit-interval {Setup.BfdInterval}
                  detect-multiplier 3
                 exit
                exit
                """);
            Lab.Router($"chrt -f 10 {Bfdd} -d -u root -g frrvty -f {dir}/bfdd.conf -i {dir}/bfdd.pid --vty_socket {dir} -P 0 -z {dir}/zserv.api --bfdctl {dir}/bfdd.sock");
        }
        Assert.True(NetnsLab.WaitUntil(() => Vtysh("show zebra client summary", "zebra").Contains("bgp", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            $"bgpd is not zebra's client: {Vtysh("show zebra client summary", "zebra")}\n{Diagnostics()}");
    }

    private string Vtysh(string command, string daemon = "bgpd") => NetnsLab.Run($"vtysh --vty_socket {Lab.Dir} -d {daemon} -c '{command}'").Output;

    /// <summary>The answer of a <c>... json</c> command; an undefined element when bgpd does not answer JSON.</summary>
    private JsonElement Json(string command)
    {
        try
        {
            return JsonDocument.Parse(Vtysh(command)).RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    public override IReadOnlySet<string> Prefixes() =>
        ((string[])["ipv4", "ipv6"])
            .Select(family => Json($"show bgp {family} unicast json"))
            .Where(table => table.ValueKind == JsonValueKind.Object && table.TryGetProperty("routes", out _))
            .SelectMany(table => table.GetProperty("routes").EnumerateObject().Select(r => r.Name))
            .ToHashSet(StringComparer.Ordinal);

    public override ReceivedRoute? Route(string prefix)
    {
        var command = $"show bgp {(prefix.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4")} unicast {prefix} json";
        var json = Json(command);
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("paths", out var paths))
        {
            return null;
        }
        // zebra resolves the next hop after the UPDATE arrived, later on a loaded machine: a bounded moment.
        NetnsLab.WaitUntil(() => (json = Json(command)).ValueKind == JsonValueKind.Object && json.TryGetProperty("paths", out paths)
            && paths.EnumerateArray().All(p => p.GetProperty("valid").GetBoolean()), TimeSpan.FromSeconds(10));
        var path = Assert.Single(paths.EnumerateArray());
        Assert.True(path.GetProperty("valid").GetBoolean(), $"FRR holds {prefix} as invalid: {path}");
        // The session of the prefix's family when there is one per family.
        var from = prefix.Contains(':', StringComparison.Ordinal) ? Setup.Sessions[^1].Node : Neighbor;
        Assert.Equal(from, path.GetProperty("peer").GetProperty("peerId").GetString());
        return ReceivedRoute.FromFrr(path);
    }

    private JsonElement Peer()
    {
        var all = Json($"show bgp neighbors {Neighbor} json");
        return all.ValueKind == JsonValueKind.Object && all.TryGetProperty(Neighbor, out var peer) ? peer : default;
    }

    public override bool Established() =>
        Peer() is { ValueKind: JsonValueKind.Object } peer && peer.TryGetProperty("bgpState", out var state) && state.GetString() == "Established";

    /// <summary>
    /// The RFC 9003 message of the last Administrative Shutdown bgpd received from us, as bgpd logged it on
    /// receipt. Its neighbor JSON (<c>lastShutdownDescription</c>) is not enough: FRR 8.4 leaves it out when the
    /// Cease starts a graceful restart (RFC 8538) or once the peer has gone Idle → Connect again, though its log
    /// shows the message (seen in CI: the log line present, the JSON without the field for the whole 10 s wait).
    /// </summary>
    public override string? ShutdownCommunication() =>
        ShutdownLine().Matches(ReadLog()).LastOrDefault(m => m.Groups[1].Value == Neighbor)?.Groups[2].Value;

    [GeneratedRegex(@"%NOTIFICATION: received from neighbor (\S+) 6/2 \(Cease/Administrative Shutdown\) ""(.*)""$", RegexOptions.Multiline)]
    private static partial Regex ShutdownLine();

    /// <summary>bfdd's session with the node's IPv4 address (<c>show bfd peers json</c>): status and the remote transmit interval (what we asked for, ms).</summary>
    public override (string State, int IntervalMs)? BfdSession()
    {
        var peer = BfdPeerJson("show bfd peers json");
        return peer is { } p ? (Capitalized(p.GetProperty("status").GetString()!), p.GetProperty("remote-transmit-interval").GetInt32()) : null;
    }

    /// <summary>bfdd's counter of this session's Down transitions (<c>show bfd peers counters json</c>).</summary>
    public long BfdSessionDowns() => BfdPeerJson("show bfd peers counters json") is { } p ? p.GetProperty("session-down").GetInt64() : -1;

    /// <summary>The whole <c>show bfd peers json</c> entry, for messages.</summary>
    public string BfdPeerText() => BfdPeerJson("show bfd peers json")?.ToString() ?? Vtysh("show bfd peers", "bfdd");

    private JsonElement? BfdPeerJson(string command)
    {
        try
        {
            var all = JsonDocument.Parse(Vtysh(command, "bfdd")).RootElement;
            return all.ValueKind != JsonValueKind.Array ? null
                : all.EnumerateArray().Where(p => p.GetProperty("peer").GetString() == Neighbor).Select(p => (JsonElement?)p.Clone()).FirstOrDefault();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Capitalized(string status) => string.Concat(status[..1].ToUpperInvariant(), status[1..]);

    public override string BgpSessionIdentity() =>
        Peer() is { ValueKind: JsonValueKind.Object } peer
            ? $"established {Number(peer, "connectionsEstablished")} dropped {Number(peer, "connectionsDropped")}"
            : "";

    private static string Number(JsonElement peer, string name) => peer.TryGetProperty(name, out var n) ? n.ToString() : "?";

    public override string Diagnostics() => $"{Vtysh($"show bgp neighbors {Neighbor}")}\n--- bgpd.log ---\n{ReadLog()}"
        + (Setup.Bfd ? $"\n--- bfdd ---\n{Vtysh("show bfd peers", "bfdd")}\n{(File.Exists(Path.Combine(Lab.Dir, "bfdd.log")) ? File.ReadAllText(Path.Combine(Lab.Dir, "bfdd.log")) : "")}" : "");
}
