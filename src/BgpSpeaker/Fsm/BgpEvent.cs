using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>
/// An input to the FSM (RFC 4271 §8.1). Each record names the RFC event number it stands for;
/// events the speaker never generates (damping, 6–7) are not modelled.
/// </summary>
public abstract record BgpEvent
{
    /// <summary>RFC 4271 §8.1 event number, for logs and the conformance table.</summary>
    public abstract int Number { get; }
}

/// <summary>Events 1, 3, 4, 5: start, actively or passively.</summary>
public sealed record StartRequested(bool Automatic, bool Passive) : BgpEvent
{
    public override int Number => (Automatic, Passive) switch
    {
        (false, false) => 1,
        (true, false) => 3,
        (false, true) => 4,
        _ => 5,
    };
}

/// <summary>Events 2 (manual) and 8 (automatic): stop, with the Cease subcode and RFC 9003 text to send.</summary>
public sealed record StopRequested(bool Automatic, CeaseSubcode Subcode = CeaseSubcode.AdministrativeShutdown, string? Communication = null) : BgpEvent
{
    public override int Number => Automatic ? 8 : 2;
}

/// <summary>Events 9–13.</summary>
public sealed record TimerExpired(BgpTimer Timer) : BgpEvent
{
    public override int Number => Timer switch
    {
        BgpTimer.ConnectRetry => 9,
        BgpTimer.Hold => 10,
        BgpTimer.Keepalive => 11,
        BgpTimer.DelayOpen => 12,
        _ => 13,
    };
}

/// <summary>Event 14 (TcpConnection_Valid) and 15 (Tcp_CR_Invalid): an inbound connection request.</summary>
public sealed record TcpConnectionRequest(bool Valid) : BgpEvent
{
    public override int Number => Valid ? 14 : 15;
}

/// <summary>Event 16 (Tcp_CR_Acked: our connect succeeded) and 17 (TcpConnectionConfirmed: we accepted one).</summary>
public sealed record TcpConnected(bool Outbound) : BgpEvent
{
    public override int Number => Outbound ? 16 : 17;
}

/// <summary>Event 18.</summary>
public sealed record TcpConnectionFails(string Reason) : BgpEvent
{
    public override int Number => 18;
}

/// <summary>Events 19 and 20 (which one depends on whether DelayOpen is running: the FSM decides).</summary>
public sealed record OpenReceived(OpenMessage Open) : BgpEvent
{
    public override int Number => 19;
}

/// <summary>Event 21 (header error) or 22 (OPEN error), with the NOTIFICATION the codec computed.</summary>
public sealed record MessageError(BgpError Error) : BgpEvent
{
    public override int Number => Error.Code == BgpErrorCode.Open ? 22 : Error.Code == BgpErrorCode.Update ? 28 : 21;
}

/// <summary>Event 23: the collision resolution (§6.8) chose the other connection.</summary>
public sealed record OpenCollisionDump : BgpEvent
{
    public override int Number => 23;
}

/// <summary>Events 24 (NotifMsgVerErr: an Unsupported Version NOTIFICATION) and 25.</summary>
public sealed record NotificationReceived(NotificationMessage Notification) : BgpEvent
{
    public bool IsVersionError => Notification.Code == BgpErrorCode.Open && Notification.Subcode == (byte)OpenSubcode.UnsupportedVersionNumber;

    public override int Number => IsVersionError ? 24 : 25;
}

/// <summary>Event 26.</summary>
public sealed record KeepaliveReceived : BgpEvent
{
    public static readonly KeepaliveReceived Instance = new();

    public override int Number => 26;
}

/// <summary>Event 27; <see cref="Error"/> carries an RFC 7606 discard/withdraw outcome to apply.</summary>
public sealed record UpdateReceived(UpdateMessage Update, BgpError Error = default) : BgpEvent
{
    public override int Number => 27;
}

/// <summary>A ROUTE-REFRESH (RFC 2918; not in RFC 4271's list, handled like an UPDATE for state purposes).</summary>
public sealed record RouteRefreshReceived(RouteRefreshMessage Refresh) : BgpEvent
{
    public override int Number => 27;
}
