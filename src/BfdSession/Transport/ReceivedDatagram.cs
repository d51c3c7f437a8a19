namespace BgpLb.BfdSession.Transport;

/// <summary>What recvmsg tells about a datagram besides its payload (RFC 5881 §4–§5 need all of it).</summary>
internal readonly record struct ReceivedDatagram(int Length, RawAddress Source, ushort SourcePort, RawAddress Destination, int InterfaceIndex, int Ttl);
