using System.Net;
using System.Net.Sockets;

namespace BgpLb.BfdSession.Transport;

/// <summary>Handles one received datagram (payload, and what recvmsg said about it) on the receive thread.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> payload, in ReceivedDatagram datagram, bool multihop);

/// <summary>
/// One listening UDP socket (RFC 5881: 3784 single-hop, RFC 5883: 4784 multi-hop; one per address
/// family) and its own receive thread, so received packets never wait for the thread pool. The
/// thread blocks in recvmsg with a short timeout to notice <see cref="Dispose"/>.
/// </summary>
internal sealed class BfdReceiver : IDisposable
{
    /// <summary>RFC 5881 §4.</summary>
    public const int SingleHopPort = 3784;

    /// <summary>RFC 5883 §5.</summary>
    public const int MultihopPort = 4784;

    /// <summary>Larger than any BFD packet (Length is one octet): a longer datagram is still read whole and rejected.</summary>
    private const int BufferSize = 2048;

    private static readonly TimeSpan PollStop = TimeSpan.FromMilliseconds(200);

    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly DatagramHandler _handler;
    private readonly Action<Exception> _onError;
    private volatile bool _stopping;

    public BfdReceiver(Socket socket, bool multihop, DatagramHandler handler, Action<Exception> onError)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _handler = handler;
        _onError = onError;
        Multihop = multihop;
        var any = socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = false;
        }
        socket.Blocking = true;
        NativeUdp.EnableReceiveInfo(socket, PollStop);
        socket.Bind(new IPEndPoint(any, multihop ? MultihopPort : SingleHopPort));
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = $"bfd-rx-{(multihop ? "mh" : "sh")}-{(socket.AddressFamily == AddressFamily.InterNetwork ? "v4" : "v6")}",
            Priority = ThreadPriority.Highest,
        };
        _thread.Start();
    }

    public bool Multihop { get; }

    private void Run()
    {
        NativeThread.RaiseCurrent();
        var buffer = new byte[BufferSize];
        while (!_stopping)
        {
            try
            {
                if (NativeUdp.TryReceive(_socket, buffer, out var datagram))
                {
                    _handler(buffer.AsSpan(0, datagram.Length), datagram, Multihop);
                }
            }
            catch (SocketException ex)
            {
                if (_stopping)
                {
                    return;
                }
                _onError(ex);
                Thread.Sleep(PollStop);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }
}
