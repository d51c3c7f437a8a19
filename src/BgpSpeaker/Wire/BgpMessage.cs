namespace BgpLb.BgpSpeaker.Wire;

/// <summary>A decoded BGP message. Every subtype is immutable and compares by value.</summary>
public abstract record BgpMessage
{
    public abstract BgpMessageType Type { get; }
}

/// <summary>KEEPALIVE: a header alone (RFC 4271 §4.4).</summary>
public sealed record KeepaliveMessage : BgpMessage
{
    public static readonly KeepaliveMessage Instance = new();

    public override BgpMessageType Type => BgpMessageType.Keepalive;
}
