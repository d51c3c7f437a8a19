using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BgpLb.L2Fallback.Transport;

/// <summary>
/// A Linux <c>AF_PACKET</c>/<c>SOCK_RAW</c> socket bound to one interface and one EtherType
/// (packet(7)): it sends and receives whole Ethernet frames. Needs CAP_NET_RAW.
/// </summary>
internal sealed class PacketSocket : IDisposable
{
    private const int SolPacket = 263;
    private const int PacketAddMembership = 1;
    private const int PacketDropMembership = 2;
    private const ushort PacketMrMulticast = 0;
    private const int SolSocket = 1;
    private const int SoAttachFilter = 26;
    private const int MembershipRequestLength = 16;

    private readonly Socket _socket;
    private readonly SocketAddress _receiveAddress = PacketEndPoint.NewReceiveAddress();
    private readonly int _receiveRoom = SocketAddress.GetMaximumAddressSize(AddressFamily.Packet);

    private PacketSocket(Socket socket, int interfaceIndex)
    {
        _socket = socket;
        InterfaceIndex = interfaceIndex;
    }

    public int InterfaceIndex { get; }

    /// <summary>Opens the socket for <paramref name="protocol"/> frames of interface <paramref name="interfaceIndex"/>.</summary>
    public static PacketSocket Open(int interfaceIndex, EtherType protocol, ReadOnlySpan<BpfInstruction> filter = default)
    {
        // packet(7): the protocol argument is the EtherType in network byte order.
        var socket = new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)BinaryPrimitives.ReverseEndianness((ushort)protocol));
        try
        {
            if (!filter.IsEmpty)
            {
                // Attached before bind, so no frame reaches the queue unfiltered once bound.
                AttachFilter(socket, filter);
            }
            socket.Bind(new PacketEndPoint(interfaceIndex, protocol));
            return new PacketSocket(socket, interfaceIndex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Receives one frame; the frame's <see cref="PacketType"/> tells our own outgoing frames apart.</summary>
    public async ValueTask<(int Length, PacketType Type)> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // The call shrinks Size to the address it got; the next call needs the full room again.
        _receiveAddress.Size = _receiveRoom;
        var length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _receiveAddress, cancellationToken).ConfigureAwait(false);
        return (length, PacketEndPoint.TypeOf(_receiveAddress));
    }

    /// <summary>Sends one whole frame (Ethernet header included) out of the bound interface.</summary>
    public void Send(ReadOnlySpan<byte> frame) => _socket.Send(frame);

    /// <summary>packet(7) PACKET_ADD_MEMBERSHIP with PACKET_MR_MULTICAST: the NIC accepts frames to <paramref name="group"/>.</summary>
    public void JoinMulticast(MacAddress group) => SetMembership(PacketAddMembership, group);

    public void LeaveMulticast(MacAddress group) => SetMembership(PacketDropMembership, group);

    private void SetMembership(int option, MacAddress group)
    {
        // struct packet_mreq { int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8]; }
        Span<byte> request = stackalloc byte[MembershipRequestLength];
        request.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(request, InterfaceIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], PacketMrMulticast);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], MacAddress.Length);
        group.Write(request[8..]);
        _socket.SetRawSocketOption(SolPacket, option, request);
    }

    /// <summary>SO_ATTACH_FILTER takes a struct sock_fprog pointing at the program; the kernel copies it during the call.</summary>
    private static void AttachFilter(Socket socket, ReadOnlySpan<BpfInstruction> filter)
    {
        var program = MemoryMarshal.AsBytes(filter);
        var native = Marshal.AllocHGlobal(program.Length);
        try
        {
            Marshal.Copy(program.ToArray(), 0, native, program.Length);
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer aligned to 8).
            Span<byte> fprog = stackalloc byte[16];
            fprog.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(fprog, (ushort)filter.Length);
            BinaryPrimitives.WriteInt64LittleEndian(fprog[8..], native.ToInt64());
            socket.SetRawSocketOption(SolSocket, SoAttachFilter, fprog);
        }
        finally
        {
            Marshal.FreeHGlobal(native);
        }
    }

    public void Dispose() => _socket.Dispose();
}
