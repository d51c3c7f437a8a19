namespace BgpLb.BfdSession.Wire;

/// <summary>RFC 5880 §4.1 "Sta": the transmitting system's session state, with its wire value.</summary>
public enum BfdState : byte
{
    AdminDown = 0,
    Down = 1,
    Init = 2,
    Up = 3,
}
