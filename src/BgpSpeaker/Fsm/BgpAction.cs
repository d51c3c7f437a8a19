using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>What the transport must do after a transition, in order.</summary>
public abstract record BgpAction;

/// <summary>Open a TCP connection to the peer (RFC 4271 §8.2.2 "initiates a TCP connection").</summary>
public sealed record InitiateConnection : BgpAction
{
    public static readonly InitiateConnection Instance = new();
}

/// <summary>Accept inbound connections from the peer ("listens for a connection").</summary>
public sealed record ListenForConnection : BgpAction
{
    public static readonly ListenForConnection Instance = new();
}

/// <summary>Drop the TCP connection.</summary>
public sealed record DropConnection : BgpAction
{
    public static readonly DropConnection Instance = new();
}

public sealed record Send(BgpMessage Message) : BgpAction;

public sealed record StartTimer(BgpTimer Timer, TimeSpan After) : BgpAction;

public sealed record StopTimer(BgpTimer Timer) : BgpAction;

/// <summary>The session reached Established with these negotiated parameters.</summary>
public sealed record SessionUp(NegotiatedSession Session) : BgpAction;

/// <summary>
/// The connection went back to Idle: why, the NOTIFICATION sent or received (if any), and whether
/// it had been Established (then the routes learned from it go).
/// </summary>
public sealed record SessionDown(DownReason Reason, NotificationMessage? Notification, bool WasEstablished) : BgpAction;

/// <summary>Hand a received UPDATE or ROUTE-REFRESH to the RIB.</summary>
public sealed record Deliver(BgpEvent Message) : BgpAction;
