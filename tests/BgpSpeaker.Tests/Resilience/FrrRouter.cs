using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>FRR bgpd (no zebra) as the passive router; read through <c>vtysh ... json</c> on its own vty socket.</summary>
internal sealed class FrrRouter(ResilienceLab lab, RouterConfig config) : Router(lab, config)
{
    public const string Bgpd = "/usr/lib/frr/bgpd";

    public override string Name => "FRR";

    protected override string PidFile => Path.Combine(Lab.Dir, "bgpd.pid");

    protected override string LogFile => Path.Combine(Lab.Dir, "bgpd.log");

    // FRR's default graceful-restart mode is "helper": the RFC 4724 receiving speaker, which is
    // what a router facing us must be; nothing to configure for it.
    private string BgpdConfig() => RouterConfigText.Bgpd(LogFile, InteropScenario.PeerAsnNumber, NetnsLab.HostV4,
        [
            $"remote-as {InteropScenario.OurAsn}",
            "passive",
            $"timers {Math.Max(1, Config.HoldTime / 3)} {Config.HoldTime}",
            .. Config.Password is null ? Array.Empty<string>() : [$"password {Config.Password}"],
        ],
        "graceful-restart");

    // -Z: no zebra; -S: stay root (the directory is ours); -P 0: no TCP vty; -l: listen on the lab address only.
    protected override void Launch()
    {
        File.WriteAllText(Path.Combine(Lab.Dir, "bgpd.conf"), BgpdConfig());
        Lab.Ns($"{Bgpd} -d -Z -S -f {Lab.Dir}/bgpd.conf -i {PidFile} --vty_socket {Lab.Dir} -P 0 -l {NetnsLab.PeerV4} -z {Lab.Dir}/zserv.api");
    }

    public string Vtysh(string command) => NetnsLab.Run($"vtysh --vty_socket {Lab.Dir} -d bgpd -c '{command}'").Output;

    /// <summary>The answer of a <c>... json</c> command; an undefined element when FRR does not answer (it is down).</summary>
    public JsonElement Json(string command)
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

    public override int Count(Afi family)
    {
        var table = Json($"show bgp {(family == Afi.IPv4 ? "ipv4" : "ipv6")} unicast json");
        return table.ValueKind == JsonValueKind.Object && table.TryGetProperty("routes", out var routes) ? routes.EnumerateObject().Count() : -1;
    }

    /// <summary>Our path for <paramref name="prefix"/> as FRR holds it, or an undefined element.</summary>
    public JsonElement PathOf(string prefix)
    {
        var route = Json($"show bgp {(prefix.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4")} unicast {prefix} json");
        return route.ValueKind == JsonValueKind.Object && route.TryGetProperty("paths", out var paths) && paths.GetArrayLength() > 0 ? paths[0] : default;
    }

    public JsonElement Neighbor()
    {
        var all = Json($"show bgp neighbors {NetnsLab.HostV4} json");
        return all.ValueKind == JsonValueKind.Object && all.TryGetProperty(NetnsLab.HostV4, out var neighbor) ? neighbor : default;
    }

    public override string Describe() => Vtysh($"show bgp neighbors {NetnsLab.HostV4}");
}
