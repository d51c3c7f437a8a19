using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// TCP MD5 signatures (RFC 2385) through Linux's <c>TCP_MD5SIG</c> socket option: the kernel
/// signs and checks every segment to and from one peer address.
/// </summary>
internal static class TcpMd5
{
    /// <summary>linux/tcp.h.</summary>
    private const int TcpMd5Sig = 14;

    /// <summary>linux/tcp.h: TCP_MD5SIG_MAXKEYLEN.</summary>
    public const int MaxKeyLength = 80;

    /// <summary>struct tcp_md5sig: sockaddr_storage(128) flags(1) prefixlen(1) keylen(2) ifindex(4) key(80).</summary>
    private const int OptionLength = 128 + 1 + 1 + 2 + 4 + MaxKeyLength;

    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>Installs (or with an empty key removes) the key for <paramref name="peer"/> on <paramref name="socket"/>.</summary>
    public static void Set(Socket socket, IPAddress peer, string key)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (keyBytes.Length > MaxKeyLength)
        {
            throw new ArgumentException($"The TCP MD5 key is {keyBytes.Length} octets; Linux allows at most {MaxKeyLength}.", nameof(key));
        }
        Span<byte> option = stackalloc byte[OptionLength];
        option.Clear();
        // sockaddr_in / sockaddr_in6: family in host order (little-endian here), port 0, address.
        if (peer.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(option, AfInet);
            peer.TryWriteBytes(option[4..], out _);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(option, AfInet6);
            peer.TryWriteBytes(option[8..], out _);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(option[130..], (ushort)keyBytes.Length);
        keyBytes.CopyTo(option[136..]);
        socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpMd5Sig, option);
    }
}
