using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Benchmarks;

/// <summary>
/// The session's CPU path for a 100,000-route table, from a route collection to UPDATE bytes: the
/// set laid out (<see cref="RouteSet.Create"/>), diffed against what the peer holds
/// (<see cref="AdjRibOut.SetDesired(RouteSet, PathAttributes?[])"/>) and packed
/// (<see cref="AdjRibOut.WriteChanges"/>), as the stress test against BIRD does it: ORIGIN,
/// AS_PATH and NEXT_HOP only, 4,096-octet messages.
/// </summary>
[MemoryDiagnoser]
public class AdjRibOutBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(8 * 1024 * 1024);
    private UpdateBuilder _builder = null!;
    private PathAttributes[] _one = [];
    private PathAttributes[] _hundred = [];
    private List<Route> _sorted = [];
    private List<Route> _shuffled = [];
    private List<Route> _plusOne = [];
    private Route _extra = null!;
    private RouteSet _set = RouteSet.Empty;
    private RouteSet _current = RouteSet.Empty;
    private RouteSet _interleaved = RouteSet.Empty;
    private AdjRibOut _rib = new();
    private bool _toggle;

    [GlobalSetup]
    public void Setup()
    {
        _builder = new UpdateBuilder(Routes.Options);
        _sorted = Routes.V4HostRoutes(Routes.TableSize).Select(n => new Route(n.Prefix)).ToList();
        _shuffled = [.. _sorted];
        new Random(1).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_shuffled));
        _extra = new Route(IpPrefix.Parse("198.19.255.255/32"));
        _plusOne = [.. _sorted, _extra];
        _set = RouteSet.Create(_sorted);
        _one = [Attributes(0)];
        // Route i in group i % 100 (the MED differs): a RIB walk in prefix order meets them interleaved.
        _interleaved = RouteSet.Create(_sorted.Select((r, i) => r with { MultiExitDisc = (uint)(i % Routes.AttributeSets) }));
        _hundred = Enumerable.Range(0, Routes.AttributeSets).Select(Attributes).ToArray();
    }

    private static PathAttributes Attributes(int med) => new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(4_200_000_001),
        NextHop = IPAddress.Parse("203.0.113.2"),
        MultiExitDisc = med == 0 ? null : (uint)med,
    };

    /// <summary>100k sorted routes into a <see cref="RouteSet"/> (what <c>SetRoutes</c> does on the caller's thread).</summary>
    [Benchmark]
    public int CreateSetSorted() => RouteSet.Create(_sorted).Count;

    /// <summary>The same routes in random order (a sort).</summary>
    [Benchmark]
    public int CreateSetShuffled() => RouteSet.Create(_shuffled).Count;

    /// <summary>Session up with 100k routes of one attribute set: diff against nothing, pack, write.</summary>
    [Benchmark]
    public int InitialDump()
    {
        _output.ResetWrittenCount();
        var rib = new AdjRibOut();
        rib.SetDesired(_set, _one);
        return rib.WriteChanges(_output, _builder);
    }

    /// <summary>The initial dump of 100k routes over 100 interleaved attribute sets.</summary>
    [Benchmark]
    public int InitialDumpHundredSets()
    {
        _output.ResetWrittenCount();
        var rib = new AdjRibOut();
        rib.SetDesired(_interleaved, _hundred);
        return rib.WriteChanges(_output, _builder);
    }

    [IterationSetup(Target = nameof(WithdrawAll))]
    public void HoldAll()
    {
        _rib = new AdjRibOut();
        _rib.SetDesired(_set, _one);
        _rib.WriteChanges(_output, _builder);
    }

    /// <summary>All 100k withdrawn, session up.</summary>
    [Benchmark]
    public int WithdrawAll()
    {
        _output.ResetWrittenCount();
        _rib.SetDesired(RouteSet.Empty, []);
        return _rib.WriteChanges(_output, _builder);
    }

    [IterationSetup(Targets = [nameof(OneRouteChangedWholeSet), nameof(OneRouteChangedWith)])]
    public void HoldAllToggle()
    {
        HoldAll();
        _current = _set;
        _toggle = false;
    }

    /// <summary>
    /// A whole new 100k collection that differs by one route (added, next time removed again):
    /// laid out, diffed by a merge walk, one UPDATE written.
    /// </summary>
    [Benchmark]
    public int OneRouteChangedWholeSet()
    {
        _output.ResetWrittenCount();
        _toggle = !_toggle;
        _rib.SetDesired(RouteSet.Create(_toggle ? _plusOne : _sorted), _one);
        return _rib.WriteChanges(_output, _builder);
    }

    /// <summary>The same one-route change made with <see cref="RouteSet.With"/>: diffed at that prefix only.</summary>
    [Benchmark]
    public int OneRouteChangedWith()
    {
        _output.ResetWrittenCount();
        _toggle = !_toggle;
        _current = _toggle ? _current.With([_extra], []) : _current.With([], [_extra.Prefix]);
        _rib.SetDesired(_current, _one);
        return _rib.WriteChanges(_output, _builder);
    }
}
