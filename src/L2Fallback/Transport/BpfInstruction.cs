using System.Runtime.InteropServices;

namespace BgpLb.L2Fallback.Transport;

/// <summary>struct sock_filter (linux/filter.h): one classic BPF instruction, as the kernel lays it out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    private const ushort LoadByteAbsolute = 0x30; // BPF_LD | BPF_B | BPF_ABS
    private const ushort JumpIfEqual = 0x15;      // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort ReturnConstant = 0x06;   // BPF_RET | BPF_K
    private const uint WholeFrame = 0x40000;
    private const uint IcmpV6 = 58;
    private const uint NextHeaderOffset = 14 + 6;
    private const uint IcmpTypeOffset = 14 + 40;

    /// <summary>
    /// An IPv6 packet socket sees all IPv6 traffic of the interface; this program keeps only ICMPv6
    /// (next header 58, no extension headers) of type 135 or 136 (RFC 4861 NS, NA), so the
    /// responder's queue does not carry the node's data traffic.
    /// </summary>
    public static ReadOnlySpan<BpfInstruction> NeighborDiscoveryOnly => NeighborDiscoveryProgram;

    private static readonly BpfInstruction[] NeighborDiscoveryProgram =
    [
        new(LoadByteAbsolute, 0, 0, NextHeaderOffset),
        new(JumpIfEqual, 0, 4, IcmpV6),
        new(LoadByteAbsolute, 0, 0, IcmpTypeOffset),
        new(JumpIfEqual, 1, 0, (uint)Ndp.NdpMessageType.NeighborSolicitation),
        new(JumpIfEqual, 0, 1, (uint)Ndp.NdpMessageType.NeighborAdvertisement),
        new(ReturnConstant, 0, 0, WholeFrame),
        new(ReturnConstant, 0, 0, 0),
    ];
}
