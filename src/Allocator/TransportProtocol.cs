namespace BgpLb.Allocator;

/// <summary>A Service port's protocol, as Kubernetes spells it.</summary>
public enum TransportProtocol
{
    TCP,
    UDP,
    SCTP,
}
