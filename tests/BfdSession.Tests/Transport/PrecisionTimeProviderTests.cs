using System.Diagnostics;
using BgpLb.BfdSession.Transport;
using Xunit;

namespace BgpLb.BfdSession.Tests.Transport;

public sealed class PrecisionTimeProviderTests
{
    [Fact]
    public async Task Timers_keep_firing_after_a_task_delay_on_the_same_provider()
    {
        using var time = new PrecisionTimeProvider();
        await Task.Delay(TimeSpan.FromMilliseconds(20), time).ConfigureAwait(ConfigureAwaitOptions.ForceYielding | ConfigureAwaitOptions.ContinueOnCapturedContext);
        var fired = 0;
        using var timer = time.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));
        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref fired) < 10 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
        }
        Assert.True(fired >= 10, $"fired {fired} times");
    }

    [Fact]
    public void A_timer_changed_from_its_own_callback_fires_again_and_never_early()
    {
        using var time = new PrecisionTimeProvider();
        var stamps = new List<long>();
        ITimer? timer = null;
        using var done = new ManualResetEventSlim();
        timer = time.CreateTimer(_ =>
        {
            stamps.Add(Stopwatch.GetTimestamp());
            if (stamps.Count < 20)
            {
                timer!.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
            }
            else
            {
                done.Set();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"{stamps.Count} firings");
        var gaps = stamps.Zip(stamps.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).ToList();
        Assert.All(gaps, gap => Assert.True(gap >= 9.9, $"gap {gap} ms is early"));
        timer.Dispose();
    }
}
