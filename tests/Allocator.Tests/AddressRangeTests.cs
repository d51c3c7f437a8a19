using BgpLb.Allocator.Ranges;
using Xunit;

namespace BgpLb.Allocator.Tests;

public sealed class AddressRangeTests
{
    [Theory]
    [InlineData("198.18.0.0/30", "198.18.0.0", "198.18.0.3", "4")]
    [InlineData("198.18.0.5/24", "198.18.0.0", "198.18.0.255", "256")]
    [InlineData("198.18.0.10-198.18.0.20", "198.18.0.10", "198.18.0.20", "11")]
    [InlineData("2001:db8:ffff::/64", "2001:db8:ffff::", "2001:db8:ffff:0:ffff:ffff:ffff:ffff", "18446744073709551616")]
    [InlineData("2001:db8::1-2001:db8::3", "2001:db8::1", "2001:db8::3", "3")]
    [InlineData("0.0.0.0/0", "0.0.0.0", "255.255.255.255", "4294967296")]
    [InlineData("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "79228162514264337593543950336")]
    public void Cidrs_and_dash_ranges_parse_to_first_last_and_size(string text, string first, string last, string size)
    {
        var range = AddressRange.Parse(text);
        Assert.Equal(first, range.First.ToString());
        Assert.Equal(last, range.Last.ToString());
        Assert.Equal(UInt128.Parse(size, System.Globalization.CultureInfo.InvariantCulture), range.Size);
    }

    [Theory]
    [InlineData("198.18.0.9-198.18.0.1", "invalid IP range \"198.18.0.9-198.18.0.1\": start is after end")]
    [InlineData("198.18.0.1-2001:db8::1", "invalid IP range \"198.18.0.1-2001:db8::1\": the ends are of different families")]
    [InlineData("198.18.0.0/33", "invalid CIDR \"198.18.0.0/33\"")]
    [InlineData("198.18.0.0", "invalid CIDR \"198.18.0.0\"")]
    [InlineData("1/8", "invalid CIDR \"1/8\"")]
    [InlineData("x-y", "invalid IP range \"x-y\": both ends must be IP addresses")]
    [InlineData("::/0", "invalid CIDR \"::/0\": IPv6 pools may not include ::ffff:0:0/96, the IPv4-mapped addresses")]
    [InlineData("::ffff:0:0/100", "invalid CIDR \"::ffff:0:0/100\"")]
    [InlineData("::1-::1:0:0:0", "invalid IP range \"::1-::1:0:0:0\": IPv6 pools may not include ::ffff:0:0/96, the IPv4-mapped addresses")]
    public void Invalid_ranges_are_rejected_with_the_text_named(string text, string message)
    {
        Assert.False(AddressRange.TryParse(text, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.2.3")]
    [InlineData("fe80::1%eth0")]
    [InlineData("")]
    [InlineData("300.1.1.1")]
    public void Address_parsing_is_strict(string text) => Assert.False(IpAddress.TryParse(text, out _));

    [Fact]
    public void An_IPv4_mapped_IPv6_address_is_read_as_IPv4_as_Go_and_so_MetalLB_read_it()
    {
        Assert.Equal(IpAddress.Parse("198.18.0.1"), IpAddress.Parse("::ffff:198.18.0.1"));
        Assert.Equal(IpFamily.IPv4, IpAddress.Parse("::ffff:c612:1").Family);
        Assert.Equal(IpFamily.IPv6, IpAddress.Parse("::1").Family);
    }

    [Fact]
    public void IPv4_sorts_before_IPv6_and_numerically_within_a_family()
    {
        string[] texts = ["2001:db8::1", "198.18.0.10", "198.18.0.9", "::1"];
        var sorted = texts.Select(IpAddress.Parse).Order().Select(a => a.ToString());
        Assert.Equal(["198.18.0.9", "198.18.0.10", "::1", "2001:db8::1"], sorted);
    }

    [Theory]
    [InlineData("198.18.0.0/24", 254)]
    [InlineData("198.18.0.0/23", 508)]
    [InlineData("198.18.0.250-198.18.1.5", 10)]
    [InlineData("198.18.0.1-198.18.0.254", 254)]
    [InlineData("198.18.0.255/32", 0)]
    public void Avoid_buggy_ips_leaves_out_every_dot_0_and_dot_255(string text, int capacity)
    {
        var range = new PoolRange(new AddressPool("p", []) { AvoidBuggyIPs = true }, AddressRange.Parse(text));
        Assert.Equal((UInt128)capacity, range.Capacity);
        var handedOut = new List<UInt128>();
        while (range.TryLowestFree(out var a))
        {
            range.MarkUsed(a);
            handedOut.Add(a);
        }
        Assert.Equal(capacity, handedOut.Count);
        Assert.DoesNotContain(handedOut, a => (byte)a is 0 or 255);
        // Whatever was handed out, in order, is one run: full /24s do not fragment the tree.
        Assert.True(range.Runs <= 1);
    }

    [Fact]
    public void Freeing_in_the_middle_splits_a_run_and_the_hole_is_the_next_address_given()
    {
        var range = new PoolRange(new AddressPool("p", []) { AvoidBuggyIPs = true }, AddressRange.Parse("198.18.0.0/23"));
        for (var i = 0; i < 300; i++)
        {
            Assert.True(range.TryLowestFree(out var a));
            range.MarkUsed(a);
        }
        var hole = IpAddress.Parse("198.18.1.1").Value;
        range.MarkFree(hole);
        Assert.Equal(2, range.Runs);
        Assert.True(range.TryLowestFree(out var next));
        Assert.Equal(hole, next);
        range.MarkUsed(next);
        Assert.Equal(1, range.Runs);
    }
}
