namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>Why a session went to Idle: logged, counted, shown by the admin API.</summary>
public enum DownReason : byte
{
    None,
    AdministrativeStop,
    AutomaticStop,
    HoldTimerExpired,
    ConnectionFailed,
    NotificationReceived,
    VersionNotificationReceived,
    MessageHeaderError,
    OpenMessageError,
    UpdateMessageError,
    BadPeerAs,
    BadBgpIdentifier,
    UnacceptableHoldTime,
    ConnectionCollision,
    UnexpectedEvent,
}
