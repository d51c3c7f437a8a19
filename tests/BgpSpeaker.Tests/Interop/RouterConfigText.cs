using System.Globalization;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// The GoBGP and FRR configurations the interop and the resilience tests give their router: one
/// neighbour (us), IPv4 and IPv6 unicast both negotiated (RFC 4760), keepalive a third of the hold
/// time (RFC 4271 §10's suggested ratio).
/// </summary>
internal static class RouterConfigText
{
    /// <summary>gobgpd's TOML.</summary>
    /// <param name="connectRetry">Seconds between GoBGP's connection attempts when it is the active side; null: GoBGP's default.</param>
    public static string Gobgpd(uint routerAsn, string routerAddress, string neighborAddress, uint neighborAsn, bool routerPassive, int holdTime, int? connectRetry = null) => $"""
        [global.config]
          as = {routerAsn}
          router-id = "{NetnsLab.PeerV4}"
          local-address-list = ["{routerAddress}"]
          port = 179

        [[neighbors]]
          [neighbors.config]
            neighbor-address = "{neighborAddress}"
            peer-as = {neighborAsn}
          [neighbors.transport.config]
            passive-mode = {(routerPassive ? "true" : "false")}
            local-address = "{routerAddress}"
          [neighbors.timers.config]
            hold-time = {holdTime}
            keepalive-interval = {Math.Max(1, holdTime / 3)}
        {(connectRetry is null ? "" : $"    connect-retry = {connectRetry}")}
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv6-unicast"
        """;

    /// <summary>bgpd's configuration (no system config, defaults "traditional", no policy needed for eBGP).</summary>
    /// <param name="neighborSettings">What follows <c>neighbor {neighbor}</c> on its own line, one setting each (remote-as, timers, passive ...).</param>
    /// <param name="debugs">Extra <c>debug bgp</c> topics besides neighbor-events.</param>
    public static string Bgpd(string logFile, uint routerAsn, string neighbor, IEnumerable<string> neighborSettings, params string[] debugs)
    {
        var settings = string.Concat(neighborSettings.Select(s => $"\n neighbor {neighbor} {s}"));
        var debugLines = string.Concat(debugs.Select(d => $"\ndebug bgp {d}"));
        return $"""
            frr defaults traditional
            hostname bgplb-frr
            log file {logFile} debugging
            debug bgp neighbor-events{debugLines}
            !
            router bgp {routerAsn.ToString(CultureInfo.InvariantCulture)}
             bgp router-id {NetnsLab.PeerV4}
             no bgp ebgp-requires-policy
             no bgp default ipv4-unicast{settings}
             address-family ipv4 unicast
              neighbor {neighbor} activate
             exit-address-family
             address-family ipv6 unicast
              neighbor {neighbor} activate
             exit-address-family
            exit
            """;
    }
}
