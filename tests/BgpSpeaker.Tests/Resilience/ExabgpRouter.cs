using System.Globalization;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// ExaBGP 4.2 as the passive router (the interop tests' <see cref="InteropCase.EbgpActiveIpv4"/>
/// configuration), read from what its JSON API printed (<see cref="ExabgpApi"/>).
/// </summary>
internal sealed class ExabgpRouter(ResilienceLab lab, RouterConfig config) : Router(lab, config)
{
    private static readonly InteropSetup Setup = new(InteropCase.EbgpActiveIpv4);

    /// <summary>Starts so far: each run prints to its own file, so a restarted ExaBGP is never credited with what the killed one received.</summary>
    private int _launches;

    public override string Name => "ExaBGP";

    protected override string PidFile => Path.Combine(Lab.Dir, "exabgp.pid");

    protected override string LogFile => Path.Combine(Lab.Dir, "exabgp.log");

    private string Received => Path.Combine(Lab.Dir, $"received-{_launches.ToString(CultureInfo.InvariantCulture)}.jsonl");

    protected override void Launch()
    {
        if (Config.Password is not null)
        {
            throw new NotSupportedException("the ExaBGP router is not configured with TCP MD5 here");
        }
        _launches++;
        File.WriteAllText(Path.Combine(Lab.Dir, "exabgp.conf"), ExabgpApi.Config(Lab.Dir, Received, Setup, Config.HoldTime));
        File.WriteAllText(Path.Combine(Lab.Dir, "consumer.py"), ExabgpApi.Consumer);
        Lab.Ns(ExabgpApi.StartCommand(Lab.Dir, Setup.RouterAddress, LogFile));
    }

    /// <summary>
    /// The routes of the current session: the UPDATEs this run printed after its last neighbor
    /// state change ("connected", "up" or "down"), since a session that went down took its routes with it.
    /// </summary>
    private Dictionary<string, ExabgpRoute> Rib()
    {
        var messages = ExabgpApi.Messages(Received);
        var lastState = messages.FindLastIndex(m => m.GetProperty("type").GetString() == "state");
        return ExabgpApi.Rib(messages.Skip(lastState + 1));
    }

    public override int Count(Afi family)
    {
        var name = family == Afi.IPv4 ? "ipv4 unicast" : "ipv6 unicast";
        return Rib().Values.Count(r => r.Family == name);
    }

    /// <summary>The neighbor state changes and NOTIFICATIONs this run printed, and its log.</summary>
    public override string Describe()
    {
        var events = ExabgpApi.Messages(Received).Where(m => m.GetProperty("type").GetString() is "state" or "notification");
        return $"{string.Join('\n', events.Select(m => m.GetProperty("neighbor").ToString()))}\n{InteropScenario.ReadOrNone(Path.Combine(Lab.Dir, "stdout.log"))}";
    }

}
