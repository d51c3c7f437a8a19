namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>Bounded waits: every wait in these tests ends, failing with what it waited for.</summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {timeout.TotalSeconds} s: {what}");
            }
            await Task.Delay(50);
        }
    }

    public static Task True(Func<Task<bool>> condition, TimeSpan timeout, string what) => True(condition, timeout, () => what);

    /// <summary>As above; <paramref name="what"/> is asked at the failure, so it can say the last value seen.</summary>
    public static async Task True(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {timeout.TotalSeconds} s: {what()}");
            }
            await Task.Delay(100);
        }
    }
}
