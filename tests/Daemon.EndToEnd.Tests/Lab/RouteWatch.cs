using System.Diagnostics;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// Samples the router, as fast as it answers, from a background task until stopped: whether the
/// session is up and which of our prefixes it holds. For "the router never lost a route" across a restart.
/// </summary>
internal sealed class RouteWatch : IAsyncDisposable
{
    private readonly Router _router;
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _task;

    public RouteWatch(Router router)
    {
        _router = router;
        _task = Task.Run(Loop);
    }

    public readonly record struct Sample(TimeSpan At, bool Established, IReadOnlySet<string> Prefixes);

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var up = _router.Established();
            var prefixes = _router.Prefixes();
            lock (_samples)
            {
                _samples.Add(new Sample(_clock.Elapsed, up, prefixes));
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Stops sampling; asserts that the session was seen down at least once and that every sample held exactly <paramref name="expected"/>.</summary>
    public async Task AssertNeverLostAsync(IEnumerable<string> expected)
    {
        await StopAsync();
        var want = expected.ToHashSet(StringComparer.Ordinal);
        var down = _samples.Where(s => !s.Established).ToList();
        Assert.True(down.Count > 0, $"the watch never saw {_router.Name}'s session down ({_samples.Count} samples)");
        var lost = _samples.FirstOrDefault(s => !s.Prefixes.SetEquals(want));
        Assert.True(lost.Prefixes is null,
            $"at {lost.At} (session {(lost.Established ? "up" : "down")}) {_router.Name} held [{string.Join(", ", lost.Prefixes?.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())}], "
            + $"expected [{string.Join(", ", want.Order(StringComparer.Ordinal))}] throughout\n{_router.Diagnostics()}");
    }

    /// <summary>What the watch saw of the gap, for the test output.</summary>
    public string Summary()
    {
        var down = _samples.Where(s => !s.Established).ToList();
        return down.Count == 0 ? $"{_router.Name}: session never seen down in {_samples.Count} samples"
            : $"{_router.Name}: session down for {down[^1].At - down[0].At} over {down.Count} of {_samples.Count} samples";
    }

    private async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
