namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>The session states of RFC 4271 §8.2.2.</summary>
public enum BgpState : byte
{
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

/// <summary>The timers of RFC 4271 §8 (IdleHold is §8.1.1's back-off timer, used here for restart back-off).</summary>
public enum BgpTimer : byte
{
    ConnectRetry,
    Hold,
    Keepalive,
    DelayOpen,
    IdleHold,
}
