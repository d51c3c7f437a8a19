using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace BgpLb.BfdSession.Transport;

/// <summary>
/// The Linux socket calls System.Net.Sockets lacks: recvmsg with the received TTL / hop limit and
/// packet info as control messages (IP_RECVTTL, IP_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO),
/// SO_BINDTODEVICE and SIOCGIFINDEX. Linux, 64-bit (the layouts of msghdr and cmsghdr below).
/// </summary>
internal static unsafe partial class NativeUdp
{
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int SoBindToDevice = 25;
    private const int SolIp = 0;
    private const int IpTtl = 2;
    private const int IpPktInfo = 8;
    private const int IpRecvTtl = 12;
    private const int SolIpv6 = 41;
    private const int Ipv6UnicastHops = 16;
    private const int Ipv6RecvPktInfo = 49;
    private const int Ipv6PktInfo = 50;
    private const int Ipv6RecvHopLimit = 51;
    private const int Ipv6HopLimit = 52;
    private const ulong SiocGifIndex = 0x8933;
    private const int IfNameSize = 16;
    private const int IfReqSize = 40;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private const int AfInet = 2;
    private const int ControlBufferSize = 256;

    /// <summary>§5 of RFC 5881 / GTSM: what we send with and require.</summary>
    public const int MaxTtl = 255;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(nint fd, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(nint fd, ulong request, byte* argument);

    /// <summary>Asks the kernel for TTL / hop limit and packet info on every datagram, and bounds a blocking receive.</summary>
    public static void EnableReceiveInfo(Socket socket, TimeSpan receiveTimeout)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> one = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(one, 1);
        if (socket.AddressFamily == AddressFamily.InterNetwork)
        {
            socket.SetRawSocketOption(SolIp, IpRecvTtl, one);
            socket.SetRawSocketOption(SolIp, IpPktInfo, one);
        }
        else
        {
            socket.SetRawSocketOption(SolIpv6, Ipv6RecvHopLimit, one);
            socket.SetRawSocketOption(SolIpv6, Ipv6RecvPktInfo, one);
        }
        Span<byte> timeval = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(timeval, (long)receiveTimeout.TotalSeconds);
        BinaryPrimitives.WriteInt64LittleEndian(timeval[8..], receiveTimeout.Microseconds + (receiveTimeout.Milliseconds * 1000L));
        socket.SetRawSocketOption(SolSocket, SoRcvTimeo, timeval);
    }

    /// <summary>Sets the TTL (IPv4) or unicast hop limit (IPv6) of sent packets.</summary>
    public static void SetSendTtl(Socket socket, int ttl)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, ttl);
        if (socket.AddressFamily == AddressFamily.InterNetwork)
        {
            socket.SetRawSocketOption(SolIp, IpTtl, value);
        }
        else
        {
            socket.SetRawSocketOption(SolIpv6, Ipv6UnicastHops, value);
        }
    }

    /// <summary>SO_BINDTODEVICE: packets leave by this interface only.</summary>
    public static void BindToDevice(Socket socket, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var name = Encoding.ASCII.GetBytes(interfaceName + "\0");
        socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
    }

    /// <summary>SIOCGIFINDEX through <paramref name="socket"/>, so the name resolves in the socket's network namespace.</summary>
    public static int InterfaceIndex(Socket socket, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (interfaceName.Length is 0 or >= IfNameSize)
        {
            throw new ArgumentException($"Interface name '{interfaceName}' must be 1 to {IfNameSize - 1} characters.", nameof(interfaceName));
        }
        var request = stackalloc byte[IfReqSize];
        new Span<byte>(request, IfReqSize).Clear();
        Encoding.ASCII.GetBytes(interfaceName, new Span<byte>(request, IfNameSize));
        if (ioctl(socket.Handle, SiocGifIndex, request) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError(), $"No interface named '{interfaceName}' (SIOCGIFINDEX)");
        }
        return BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(request + IfNameSize, 4));
    }

    /// <summary>
    /// One blocking recvmsg. False on the receive timeout (or an interrupted call): the caller checks
    /// whether to stop and calls again. Throws SocketException for any other error.
    /// </summary>
    public static bool TryReceive(Socket socket, Span<byte> buffer, out ReceivedDatagram datagram)
    {
        ArgumentNullException.ThrowIfNull(socket);
        datagram = default;
        var name = stackalloc byte[28]; // sockaddr_in6, the larger of the two
        var control = stackalloc byte[ControlBufferSize];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MsgHdr
            {
                Name = name,
                NameLength = 28,
                Iov = &iov,
                IovLength = 1,
                Control = control,
                ControlLength = ControlBufferSize,
            };
            var n = recvmsg(socket.Handle, &message, 0);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is EAgain or EIntr)
                {
                    return false;
                }
                throw new SocketException(errno);
            }
            var (source, port) = ReadSockaddr(new ReadOnlySpan<byte>(name, (int)message.NameLength));
            ReadControl(new ReadOnlySpan<byte>(control, (int)message.ControlLength), out var destination, out var ifindex, out var ttl);
            datagram = new ReceivedDatagram((int)n, source, port, destination, ifindex, ttl);
            return true;
        }
    }

    private static (RawAddress Address, ushort Port) ReadSockaddr(ReadOnlySpan<byte> name)
    {
        var family = BinaryPrimitives.ReadUInt16LittleEndian(name);
        var port = BinaryPrimitives.ReadUInt16BigEndian(name[2..]);
        return family == AfInet
            ? (RawAddress.From(AddressFamily.InterNetwork, name.Slice(4, 4)), port)
            : (RawAddress.From(AddressFamily.InterNetworkV6, name.Slice(8, 16)), port);
    }

    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data, aligned to 8 }.
    private static void ReadControl(ReadOnlySpan<byte> control, out RawAddress destination, out int ifindex, out int ttl)
    {
        destination = default;
        ifindex = 0;
        ttl = -1;
        const int header = 16;
        while (control.Length >= header)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(control);
            if (length < header || length > control.Length)
            {
                return;
            }
            var level = BinaryPrimitives.ReadInt32LittleEndian(control[8..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(control[12..]);
            var data = control[header..length];
            switch (level, type)
            {
                case (SolIp, IpTtl):
                case (SolIpv6, Ipv6HopLimit):
                    ttl = BinaryPrimitives.ReadInt32LittleEndian(data);
                    break;
                case (SolIp, IpPktInfo):
                    // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
                    ifindex = BinaryPrimitives.ReadInt32LittleEndian(data);
                    destination = RawAddress.From(AddressFamily.InterNetwork, data.Slice(8, 4));
                    break;
                case (SolIpv6, Ipv6PktInfo):
                    // struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }
                    destination = RawAddress.From(AddressFamily.InterNetworkV6, data[..16]);
                    ifindex = BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
                    break;
            }
            var next = (length + 7) & ~7;
            if (next >= control.Length)
            {
                return;
            }
            control = control[next..];
        }
    }
}
