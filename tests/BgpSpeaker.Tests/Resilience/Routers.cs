using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>Builds the router a test names, failing (never skipping) when its package is missing.</summary>
internal static class Routers
{
    public static Router Create(string kind, ResilienceLab lab, RouterConfig config)
    {
        switch (kind)
        {
            case "bird":
                InteropScenario.RequireBinaries("bird2", "bird", "birdc");
                return new BirdRouter(lab, config);
            case "frr":
                InteropScenario.RequireBinaries("frr", FrrRouter.Bgpd, "vtysh");
                return new FrrRouter(lab, config);
            case "gobgp":
                InteropScenario.RequireBinaries("gobgpd", "gobgpd", "gobgp");
                return new GobgpRouter(lab, config);
            case "exabgp":
                InteropScenario.RequireBinaries("exabgp", "exabgp", "python3");
                return new ExabgpRouter(lab, config);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "bird, frr, gobgp or exabgp");
        }
    }
}
