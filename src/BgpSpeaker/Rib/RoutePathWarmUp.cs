using System.Buffers;
using System.Net;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// Runs the route path (set layout, diff, packing) once on a handful of routes, on a pool thread,
/// when the first session starts: its methods are then compiled while TCP and the OPENs are under
/// way, and the first initial dump after Established does not pay the JIT (tens of milliseconds on
/// a loaded two-core machine, more than the dump itself). The hot loops are marked
/// AggressiveOptimization, so what is compiled here is the optimized code, not a tier-0 stand-in.
/// Nothing it builds leaves this method.
/// </summary>
internal static class RoutePathWarmUp
{
    private static int _started;

    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(Run);
        }
    }

    private static void Run()
    {
        var v4 = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(64512), NextHop = IPAddress.Parse("203.0.113.1") };
        var v6 = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(64512), MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::1"), null, default) };
        // Out of order, both families, two groups: the sort, the grouping and both packers run.
        var routes = new List<Route>
        {
            new(IpPrefix.Parse("198.18.0.2/32")),
            new(IpPrefix.Parse("198.18.0.1/32")),
            new(IpPrefix.Parse("2001:db8:ffff::1/128")),
            new(IpPrefix.Parse("198.18.0.3/32")) { MultiExitDisc = 1 },
        };
        var ipv4Only = RouteSet.Create(routes.Take(2).ToList());
        var set = RouteSet.Create(routes);
        PathAttributes?[] Fit(RouteSet s) => s.Templates.ToArray().Select(t => t.Prefix.Family == Afi.IPv4 ? v4 with { MultiExitDisc = t.MultiExitDisc } : v6).ToArray();
        var output = new ArrayBufferWriter<byte>();
        var builder = new UpdateBuilder(CodecOptions.Default);
        var rib = new AdjRibOut();
        rib.SetDesired(ipv4Only, Fit(ipv4Only));
        rib.WriteChanges(output, builder);
        rib.SetDesired(set, Fit(set));
        rib.WriteChanges(output, builder);
        var next = set.With([new Route(IpPrefix.Parse("198.18.0.4/32"))], [IpPrefix.Parse("198.18.0.1/32")]);
        rib.SetDesired(next, Fit(next));
        rib.WriteChanges(output, builder);
        rib.SetDesired(RouteSet.Empty, []);
        rib.WriteChanges(output, builder);
    }
}
