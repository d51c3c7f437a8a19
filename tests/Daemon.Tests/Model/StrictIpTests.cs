using BgpLb.Allocator;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

public class StrictIpTests
{
    [Theory]
    [InlineData("172.30.0.3", "172.30.0.3")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [InlineData("::ffff:198.18.0.1", "198.18.0.1")]
    [InlineData("64:ff9b::198.18.0.1", "64:ff9b::c612:1")]
    public void Accepts_what_Go_net_ParseIP_accepts(string text, string expected)
    {
        Assert.True(StrictIp.TryParse(text, out var address));
        Assert.Equal(expected, address.ToString());
    }

    [Theory]
    [InlineData("172.030.0.3")] // IPAddress.TryParse: octal, 172.24.0.3
    [InlineData("010.0.0.1")]
    [InlineData("0x7f.0.0.1")] // hex
    [InlineData("127.1")] // shorthand, 127.0.0.1
    [InlineData("2130706433")] // a number
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.")]
    [InlineData("10..0.1")]
    [InlineData("10.0.0.1.5")]
    [InlineData(" 10.0.0.1")]
    [InlineData("fe80::1%eth0")] // zone
    [InlineData("2001:db8::1::2")]
    [InlineData("1:2:3:4:5:6:7::8")] // :: must stand for at least one group
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("12345::1")]
    [InlineData("::ffff:1.2.3.04")]
    [InlineData("")]
    [InlineData("[::1]")]
    public void Refuses_leading_zeros_hex_shorthand_and_zones(string text)
    {
        Assert.False(StrictIp.TryParse(text, out _));
    }

    [Fact]
    public void The_framework_parser_that_this_replaces_reads_a_leading_zero_as_octal()
    {
        // Why StrictIp exists: the same text names a different router.
        Assert.True(System.Net.IPAddress.TryParse("172.030.0.3", out var lenient));
        Assert.Equal("172.24.0.3", lenient.ToString());
        Assert.NotEqual(IpAddress.Parse("172.30.0.3"), IpAddress.FromIPAddress(lenient));
    }
}
