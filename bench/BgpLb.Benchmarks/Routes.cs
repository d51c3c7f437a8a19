using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.Benchmarks;

/// <summary>
/// The workloads every benchmark shares, built deterministically so that the host process (which
/// prints the NLRI/s column) and the benchmark process agree on the counts.
/// </summary>
public static class Routes
{
    /// <summary>A 4,096-octet session with 4-octet AS numbers (no Extended Message, no ADD-PATH).</summary>
    public static readonly CodecOptions Options = new() { FourOctetAsn = true };

    /// <summary>Route count of the table benchmarks.</summary>
    public const int TableSize = 100_000;

    /// <summary>Attribute sets the split table is spread over.</summary>
    public const int AttributeSets = 100;

    /// <summary>198.18.0.0/15 (RFC 2544 benchmarking range) as a host-order address.</summary>
    private const uint V4Base = (198u << 24) | (18u << 16);

    /// <summary>2001:db8:ffff::/48 as a 128-bit big-endian value.</summary>
    private static readonly UInt128 V6Base = new(0x2001_0db8_ffff_0000UL, 0);

    private static readonly Lazy<byte[]> FullUpdateBytes = new(BuildFullUpdate);

    /// <summary>ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, LARGE_COMMUNITY; <paramref name="set"/> varies the communities.</summary>
    public static PathAttributes V4Attributes(int set = 0) => new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(64_500, 64_501, 4_200_000_000),
        NextHop = IPAddress.Parse("192.0.2.1"),
        MultiExitDisc = 100,
        Communities = new[] { Community.Of(64_500, (ushort)set), Community.Of(64_500, 666), Community.NoExport },
        LargeCommunities = new[] { new LargeCommunity(4_200_000_000, 1, (uint)set) },
    };

    /// <summary>The same attributes for IPv6: the next hop travels in MP_REACH_NLRI (RFC 4760 §3).</summary>
    public static PathAttributes V6Attributes() => V4Attributes() with
    {
        NextHop = null,
        MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::1"), null, default),
    };

    /// <summary>The first <paramref name="count"/> /32s of 198.18.0.0/15.</summary>
    public static Nlri[] V4HostRoutes(int count)
    {
        var routes = new Nlri[count];
        for (var i = 0; i < count; i++)
        {
            routes[i] = IpPrefix.V4(V4Base + (uint)i, 32);
        }
        return routes;
    }

    /// <summary>The first <paramref name="count"/> /128s of 2001:db8:ffff::/48.</summary>
    public static Nlri[] V6HostRoutes(int count)
    {
        var routes = new Nlri[count];
        for (var i = 0; i < count; i++)
        {
            routes[i] = IpPrefix.V6(V6Base + (uint)i, 128);
        }
        return routes;
    }

    /// <summary>A whole UPDATE (header included) filled to 4,096 octets with /32s, as UpdateBuilder packs it.</summary>
    public static byte[] FullUpdate() => FullUpdateBytes.Value;

    /// <summary>How many NLRI the full UPDATE carries.</summary>
    public static int FullUpdateNlriCount()
    {
        var field = NlriField(FullUpdate());
        return NlriReader.TryCount(field, Afi.IPv4, addPath: false, out var count, out _) ? count : throw new InvalidOperationException("The full UPDATE does not decode.");
    }

    /// <summary>The NLRI field of a whole IPv4 UPDATE (RFC 4271 §4.3: after Withdrawn Routes and Path Attributes).</summary>
    public static ReadOnlySpan<byte> NlriField(ReadOnlySpan<byte> message)
    {
        var body = message[BgpHeader.Length..];
        var withdrawnLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        var attributesLength = BinaryPrimitives.ReadUInt16BigEndian(body[(2 + withdrawnLength)..]);
        return body[(2 + withdrawnLength + 2 + attributesLength)..];
    }

    private static byte[] BuildFullUpdate()
    {
        var output = new ArrayBufferWriter<byte>();
        // More routes than one message holds: the first message is then full.
        new UpdateBuilder(Options).WriteAnnouncements(output, V4Attributes(), V4HostRoutes(BgpHeader.MaxMessageLength));
        var written = output.WrittenSpan;
        var length = BinaryPrimitives.ReadUInt16BigEndian(written[BgpHeader.LengthOffset..]);
        return written[..length].ToArray();
    }
}
