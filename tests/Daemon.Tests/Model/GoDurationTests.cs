using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

public class GoDurationTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("300ms", 300)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("-3s", -3_000)]
    public void Parses_Go_durations(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("90")]
    [InlineData("s")]
    [InlineData("1d")]
    [InlineData("")]
    [InlineData("1.2.3s")]
    [InlineData("-")]
    public void Refuses_what_Go_refuses(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
