using System.Text.Json;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>One route as ExaBGP's API printed it: family ("ipv4 unicast"), next hops, the UPDATE's attributes.</summary>
internal sealed record ExabgpRoute(string Family, string[] NextHops, JsonElement Attributes);

/// <summary>
/// Starting ExaBGP 4.2 in a namespace and reading what its JSON API printed, shared by the interop
/// and resilience tests. ExaBGP keeps no RIB to ask: its API prints each UPDATE's announcements
/// and withdrawals (one JSON object a line, written to a file by <see cref="Consumer"/>), and
/// replaying them gives what it holds.
/// </summary>
internal static class ExabgpApi
{
    /// <summary>Appends each API line to the file, flushed, so the test reads what ExaBGP said so far.</summary>
    public const string Consumer = """
        import sys
        with open(sys.argv[1], "a", buffering=1) as out:
            for line in sys.stdin:
                out.write(line)
                out.flush()
        """;

    /// <summary>
    /// The shell command (for the router's namespace) that starts ExaBGP with <c>exabgp.conf</c> in
    /// <paramref name="dir"/> in the foreground of its own session, as root, listening on
    /// <paramref name="bindAddress"/>:179 (it only listens when given an address), logging to
    /// <paramref name="log"/>; its PID (the python process itself) goes to <c>exabgp.pid</c>.
    /// </summary>
    public static string StartCommand(string dir, string bindAddress, string log)
    {
        var env = string.Join(' ',
            "exabgp.daemon.user=root", "exabgp.daemon.drop=false", "exabgp.daemon.daemonize=false",
            "exabgp.api.cli=false", "exabgp.api.ack=false", $"exabgp.tcp.bind={bindAddress}", "exabgp.tcp.port=179",
            $"exabgp.log.destination={log}", "exabgp.log.level=INFO");
        return $"env {env} setsid exabgp {dir}/exabgp.conf >>{dir}/stdout.log 2>&1 </dev/null & echo $! >{dir}/exabgp.pid";
    }

    /// <summary>
    /// The configuration for one <paramref name="setup"/>: the API prints neighbor state changes, every
    /// UPDATE and NOTIFICATION received (parsed, and as raw packets) to <see cref="Consumer"/>
    /// (<c>consumer.py</c> in <paramref name="dir"/>), which appends them to <paramref name="received"/>.
    /// </summary>
    public static string Config(string dir, string received, InteropSetup setup, ushort holdTime) => $$"""
        process received {
          run /usr/bin/python3 -u {{dir}}/consumer.py {{received}};
          encoder json;
        }
        neighbor {{setup.OurAddress}} {
          router-id {{NetnsLab.PeerV4}};
          local-address {{setup.RouterAddress}};
          local-as {{setup.RouterAsn}};
          peer-as {{setup.OurAsn}};
          hold-time {{holdTime}};
          passive {{(setup.Passive ? "false" : "true")}};
          family {
            ipv4 unicast;
            ipv6 unicast;
          }
          api {
            processes [ received ];
            neighbor-changes;
            receive {
              parsed;
              packets;
              update;
              notification;
            }
          }
        }
        """;

    /// <summary>The API's JSON objects printed to <paramref name="received"/> so far.</summary>
    public static List<JsonElement> Messages(string received) => InteropScenario.CompleteLines(received)
        .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    /// <summary>
    /// Prefix → route, replayed from every UPDATE in <paramref name="messages"/>.
    /// ExaBGP prints an UPDATE's announcements grouped by next hop, and a global + link-local
    /// MP_REACH_NLRI next hop as two next hops with every prefix under each (mprnlri.py unpacks
    /// the NLRI once per next-hop address): a prefix's next hops are the groups it is in.
    /// </summary>
    public static Dictionary<string, ExabgpRoute> Rib(IEnumerable<JsonElement> messages)
    {
        var rib = new Dictionary<string, ExabgpRoute>(StringComparer.Ordinal);
        foreach (var m in messages.Where(m => m.GetProperty("type").GetString() == "update"))
        {
            if (!m.GetProperty("neighbor").GetProperty("message").TryGetProperty("update", out var update))
            {
                continue; // End-of-RIB
            }
            if (update.TryGetProperty("withdraw", out var withdraw))
            {
                foreach (var nlri in withdraw.EnumerateObject().SelectMany(f => f.Value.EnumerateArray()))
                {
                    rib.Remove(nlri.GetProperty("nlri").GetString()!);
                }
            }
            if (update.TryGetProperty("announce", out var announce))
            {
                foreach (var family in announce.EnumerateObject())
                {
                    var byPrefix = family.Value.EnumerateObject()
                        .SelectMany(n => n.Value.EnumerateArray().Select(nlri => (Prefix: nlri.GetProperty("nlri").GetString()!, NextHop: n.Name)))
                        .GroupBy(p => p.Prefix, StringComparer.Ordinal);
                    foreach (var prefix in byPrefix)
                    {
                        rib[prefix.Key] = new ExabgpRoute(family.Name, prefix.Select(p => p.NextHop).ToArray(), update.GetProperty("attribute"));
                    }
                }
            }
        }
        return rib;
    }
}
