using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>GoBGP (gobgpd with a TOML config) as the passive router; read through <c>gobgp -j</c> on the namespace's loopback.</summary>
internal sealed class GobgpRouter(ResilienceLab lab, RouterConfig config) : Router(lab, config)
{
    /// <summary>gobgpd's gRPC API on the peer namespace's own loopback (a fresh namespace: the port is free).</summary>
    private const int ApiPort = 50151;

    public override string Name => "GoBGP";

    protected override string PidFile => Path.Combine(Lab.Dir, "gobgpd.pid");

    protected override string LogFile => Path.Combine(Lab.Dir, "gobgpd.log");

    private string GobgpdConfig() => RouterConfigText.Gobgpd(
        InteropScenario.PeerAsnNumber, NetnsLab.PeerV4, NetnsLab.HostV4, InteropScenario.OurAsn, routerPassive: true, Config.HoldTime);

    protected override void Launch()
    {
        File.WriteAllText(Path.Combine(Lab.Dir, "gobgpd.toml"), GobgpdConfig());
        // gobgpd does not daemonize: run it in its own session, appending to the log so a restart keeps the first run's lines.
        Lab.Ns($"bash -c 'setsid gobgpd -f {Lab.Dir}/gobgpd.toml --api-hosts 127.0.0.1:{ApiPort} --pprof-disable -p -l info >>{LogFile} 2>&1 </dev/null & echo $! >{PidFile}'");
    }

    private string Gobgp(string command) => NetnsLab.Run($"ip netns exec {Lab.Namespace} gobgp -u 127.0.0.1 -p {ApiPort} {command}").Output;

    // `global rib -j` is an object keyed by prefix ("{}" or "null" when empty).
    public override int Count(Afi family)
    {
        try
        {
            var rib = JsonDocument.Parse(Gobgp($"global rib -a {(family == Afi.IPv4 ? "ipv4" : "ipv6")} -j")).RootElement;
            return rib.ValueKind switch
            {
                JsonValueKind.Object => rib.EnumerateObject().Count(),
                JsonValueKind.Null => 0,
                _ => -1,
            };
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    public override string Describe() => Gobgp($"neighbor {NetnsLab.HostV4}");
}
