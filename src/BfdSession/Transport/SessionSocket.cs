using System.Net;
using System.Net.Sockets;

namespace BgpLb.BfdSession.Transport;

/// <summary>
/// A session's sending socket: bound to the local address and a source port of its own in
/// 49152–65535 (RFC 5881 §4: fixed for the session, unique among sessions), TTL / hop limit 255
/// (RFC 5881 §5), bound to the interface when one is given, sending to the peer's 3784 (4784 multi-hop).
/// </summary>
internal sealed class SessionSocket : IPacketSink, IDisposable
{
    public const int MinSourcePort = 49152;
    public const int MaxSourcePort = 65535;
    private const int BindAttempts = 64;

    private readonly Socket _socket;
    private readonly SocketAddress _destination;

    private SessionSocket(Socket socket, SocketAddress destination, int sourcePort, int interfaceIndex)
    {
        _socket = socket;
        _destination = destination;
        SourcePort = sourcePort;
        InterfaceIndex = interfaceIndex;
    }

    public int SourcePort { get; }

    /// <summary>The interface's index in the socket's namespace, 0 without an interface.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Opens and binds the socket; <paramref name="portInUse"/> says which ports other sessions hold.</summary>
    public static SessionSocket Open(BfdPeer peer, Func<AddressFamily, Socket> factory, Func<int, bool> portInUse, Random random)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var socket = factory(peer.LocalAddress.AddressFamily);
        try
        {
            NativeUdp.SetSendTtl(socket, NativeUdp.MaxTtl);
            var ifindex = 0;
            var destination = peer.Address;
            if (peer.Interface is { } name)
            {
                NativeUdp.BindToDevice(socket, name);
                ifindex = NativeUdp.InterfaceIndex(socket, name);
                if (destination.IsIPv6LinkLocal && destination.ScopeId == 0)
                {
                    destination = new IPAddress(destination.GetAddressBytes(), ifindex);
                }
            }
            var local = peer.LocalAddress.IsIPv6LinkLocal && ifindex != 0 ? new IPAddress(peer.LocalAddress.GetAddressBytes(), ifindex) : peer.LocalAddress;
            var port = BindSourcePort(socket, local, portInUse, random);
            var target = new IPEndPoint(destination, peer.Multihop ? BfdReceiver.MultihopPort : BfdReceiver.SingleHopPort);
            return new SessionSocket(socket, target.Serialize(), port, ifindex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static int BindSourcePort(Socket socket, IPAddress local, Func<int, bool> portInUse, Random random)
    {
        SocketException? last = null;
        for (var attempt = 0; attempt < BindAttempts; attempt++)
        {
            var port = random.Next(MinSourcePort, MaxSourcePort + 1);
            if (portInUse(port))
            {
                continue;
            }
            try
            {
                socket.Bind(new IPEndPoint(local, port));
                return port;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                last = ex;
            }
        }
        throw new SocketException((int)SocketError.AddressAlreadyInUse, $"No free UDP source port in {MinSourcePort}-{MaxSourcePort} on {local} after {BindAttempts} attempts: {last?.Message}");
    }

    public void Send(ReadOnlySpan<byte> packet) => _socket.SendTo(packet, SocketFlags.None, _destination);

    public void Dispose() => _socket.Dispose();
}
