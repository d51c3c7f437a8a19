using BgpLb.L2Fallback.Arp;
using BgpLb.L2Fallback.Ndp;

namespace BgpLb.L2Fallback;

/// <summary>Per-interface counters, safe to read while the receive loops update them.</summary>
public sealed class L2Counters
{
    private readonly long[] _arp = new long[Enum.GetValues<L2DropReason>().Length];
    private readonly long[] _ndp = new long[Enum.GetValues<L2DropReason>().Length];
    private readonly long[] _arpErrors = new long[Enum.GetValues<ArpDecodeError>().Length];
    private readonly long[] _ndpErrors = new long[Enum.GetValues<NdpDecodeError>().Length];
    private long _gratuitousArps;
    private long _unsolicitedAdvertisements;

    /// <summary>ARP requests answered (<see cref="L2DropReason.None"/>) or ignored, by reason.</summary>
    public long Arp(L2DropReason reason) => Interlocked.Read(ref _arp[(int)reason]);

    /// <summary>Neighbor Solicitations answered (<see cref="L2DropReason.None"/>) or NDP frames ignored, by reason.</summary>
    public long Ndp(L2DropReason reason) => Interlocked.Read(ref _ndp[(int)reason]);

    public long ArpDecodeErrors(ArpDecodeError error) => Interlocked.Read(ref _arpErrors[(int)error]);

    public long NdpDecodeErrors(NdpDecodeError error) => Interlocked.Read(ref _ndpErrors[(int)error]);

    /// <summary>Gratuitous ARP frames sent (each announcement round sends a request and a reply).</summary>
    public long GratuitousArps => Interlocked.Read(ref _gratuitousArps);

    public long UnsolicitedAdvertisements => Interlocked.Read(ref _unsolicitedAdvertisements);

    internal void CountArp(L2DropReason reason, ArpDecodeError error)
    {
        Interlocked.Increment(ref _arp[(int)reason]);
        if (error != ArpDecodeError.None)
        {
            Interlocked.Increment(ref _arpErrors[(int)error]);
        }
    }

    internal void CountNdp(L2DropReason reason, NdpDecodeError error)
    {
        Interlocked.Increment(ref _ndp[(int)reason]);
        if (error != NdpDecodeError.None)
        {
            Interlocked.Increment(ref _ndpErrors[(int)error]);
        }
    }

    internal void CountGratuitousArp() => Interlocked.Increment(ref _gratuitousArps);

    internal void CountUnsolicitedAdvertisement() => Interlocked.Increment(ref _unsolicitedAdvertisements);
}
