using System.Net;
using BgpLb.L2Fallback.Election;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Election;

/// <summary>Go's net.IP.String(): dotted IPv4 (also for IPv4-mapped), RFC 5952 §4 for IPv6.</summary>
public class GoIpTextTests
{
    [Theory]
    [InlineData("198.18.0.10", "198.18.0.10")]
    [InlineData("::ffff:198.18.0.10", "198.18.0.10")]
    [InlineData("2001:0DB8:FFFF:0000:0000:0000:0000:0010", "2001:db8:ffff::10")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]   // §4.2.2: one zero group is not compressed
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]            // §4.2.3: the longest run
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]      // §4.2.3: the first of equal runs
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("fe80::", "fe80::")]
    [InlineData("::1.2.3.4", "::102:304")]                          // IPv4-compatible is plain hex in Go
    public void Formats_like_go(string input, string expected) =>
        Assert.Equal(expected, GoIpText.Format(IPAddress.Parse(input)));
}
