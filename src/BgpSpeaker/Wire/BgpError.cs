namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// A protocol error found in a peer's message: what the NOTIFICATION must carry (RFC 4271 §6),
/// how the receiver must react (RFC 7606 §2), and why, as a value. <c>default</c> means no error.
/// </summary>
/// <param name="Code">NOTIFICATION error code.</param>
/// <param name="Subcode">NOTIFICATION error subcode (see the subcode enums).</param>
/// <param name="Data">NOTIFICATION data: owned copy, safe after the input buffer is released.</param>
/// <param name="Action">What to do: discard an attribute, treat as withdraw, or reset.</param>
/// <param name="Reason">The specific rule that was broken.</param>
/// <param name="AttributeType">The path attribute concerned, or 0.</param>
public readonly record struct BgpError(
    BgpErrorCode Code,
    byte Subcode,
    ReadOnlyMemory<byte> Data,
    ErrorAction Action,
    BgpErrorReason Reason,
    byte AttributeType = 0)
{
    public bool IsError => Action != ErrorAction.None;

    /// <summary>RFC 7606 §3(h): of several errors in one UPDATE the strongest action wins.</summary>
    public BgpError Stronger(in BgpError other) => other.Action > Action ? other : this;

    internal static BgpError Reset(BgpErrorCode code, byte subcode, BgpErrorReason reason, ReadOnlySpan<byte> data, byte attributeType = 0) =>
        new(code, subcode, data.ToArray(), ErrorAction.SessionReset, reason, attributeType);

    internal static BgpError Header(MessageHeaderSubcode subcode, BgpErrorReason reason, ReadOnlySpan<byte> data) =>
        Reset(BgpErrorCode.MessageHeader, (byte)subcode, reason, data);

    internal static BgpError Open(OpenSubcode subcode, BgpErrorReason reason, ReadOnlySpan<byte> data = default) =>
        Reset(BgpErrorCode.Open, (byte)subcode, reason, data);

    internal static BgpError Update(UpdateSubcode subcode, ErrorAction action, BgpErrorReason reason, ReadOnlySpan<byte> data = default, byte attributeType = 0) =>
        new(BgpErrorCode.Update, (byte)subcode, data.ToArray(), action, reason, attributeType);

    public override string ToString() =>
        Action == ErrorAction.None
            ? "no error"
            : $"{Action}: {Code}/{Subcode} {Reason}" + (AttributeType != 0 ? $" (attribute {AttributeType})" : "") + (Data.Length > 0 ? $" data {Convert.ToHexString(Data.Span)}" : "");
}
