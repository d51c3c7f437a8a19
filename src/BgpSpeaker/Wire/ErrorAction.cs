namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// What a receiver does about a malformed message, ordered weakest to strongest so that
/// RFC 7606 §3(h) ("the strongest approach wins") is a comparison.
/// </summary>
public enum ErrorAction : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>RFC 7606 §2: drop the attribute, process the rest of the UPDATE.</summary>
    AttributeDiscard = 1,

    /// <summary>RFC 7606 §2: treat every NLRI of the UPDATE as withdrawn.</summary>
    TreatAsWithdraw = 2,

    /// <summary>RFC 7606 §2 / RFC 4760 §7: disable the AFI/SAFI of the malformed MP attribute.</summary>
    AfiSafiDisable = 3,

    /// <summary>RFC 4271 §6: send the NOTIFICATION and close the session.</summary>
    SessionReset = 4,
}
