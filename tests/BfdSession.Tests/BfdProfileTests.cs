using System.Net;
using Xunit;

namespace BgpLb.BfdSession.Tests;

/// <summary>MetalLB BFDProfile ranges and defaults, and the facade refusing bad profiles and peers by field.</summary>
public sealed class BfdProfileTests
{
    [Fact]
    public void Defaults_are_metallbs_and_valid()
    {
        var profile = new BfdProfile();
        Assert.Equal(TimeSpan.FromMilliseconds(300), profile.ReceiveInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(300), profile.TransmitInterval);
        Assert.Equal(3, profile.DetectMultiplier);
        Assert.Equal(TimeSpan.FromMilliseconds(50), profile.EchoInterval);
        Assert.False(profile.EchoMode);
        Assert.False(profile.PassiveMode);
        Assert.Equal(254, profile.MinimumTtl);
        Assert.Empty(profile.Validate());
    }

    [Fact]
    public void Every_field_out_of_range_is_named()
    {
        var profile = new BfdProfile
        {
            ReceiveInterval = TimeSpan.FromMilliseconds(9),
            TransmitInterval = TimeSpan.FromMilliseconds(60001),
            EchoInterval = TimeSpan.Zero,
            DetectMultiplier = 1,
            MinimumTtl = 255,
            EchoMode = true,
        };
        var fields = profile.Validate().Select(e => e.Field).ToList();
        Assert.Equal(["receiveInterval", "transmitInterval", "echoInterval", "detectMultiplier", "minimumTtl", "echoMode"], fields);
        Assert.Contains("Echo function", profile.Validate().Single(e => e.Field == "echoMode").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 2)]
    [InlineData(60000, 255)]
    public void Range_ends_are_accepted(int intervalMs, int multiplier) =>
        Assert.Empty(new BfdProfile
        {
            ReceiveInterval = TimeSpan.FromMilliseconds(intervalMs),
            TransmitInterval = TimeSpan.FromMilliseconds(intervalMs),
            EchoInterval = TimeSpan.FromMilliseconds(intervalMs),
            DetectMultiplier = multiplier,
        }.Validate());

    [Fact]
    public async Task The_facade_refuses_bad_profiles_and_peers_with_every_error_and_opens_nothing()
    {
        var opened = 0;
        await using var sessions = new BfdSessions(new BfdSessionsOptions
        {
            Time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(),
            SocketFactory = _ => throw new InvalidOperationException($"no socket expected ({++opened})"),
        });
        var mixed = new BfdPeer(IPAddress.Parse("203.0.113.1"), IPAddress.Parse("2001:db8::1")) { Interface = "eth0", Multihop = true };
        var error = Assert.Throws<BfdConfigurationException>(() => sessions.AddOrUpdate(mixed, new BfdProfile { EchoMode = true }));
        Assert.Equal(["echoMode", "localAddress", "interface"], error.Errors.Select(e => e.Field));
        var linkLocal = new BfdPeer(IPAddress.Parse("fe80::1"), IPAddress.Parse("fe80::2"));
        Assert.Equal("interface", Assert.Throws<BfdConfigurationException>(() => sessions.AddOrUpdate(linkLocal, new BfdProfile())).Errors.Single().Field);
        Assert.Equal(0, opened);
        Assert.Empty(sessions.Sessions);
    }
}
