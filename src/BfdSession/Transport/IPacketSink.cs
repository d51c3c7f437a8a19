namespace BgpLb.BfdSession.Transport;

/// <summary>Where a session's encoded Control packets go: its UDP socket, or a test's recorder.</summary>
internal interface IPacketSink
{
    /// <summary>Sends one datagram; a failure is reported by the exception (SocketException), which the runner counts.</summary>
    void Send(ReadOnlySpan<byte> packet);
}
