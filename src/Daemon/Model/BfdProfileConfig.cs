namespace BgpLb.Daemon.Model;

/// <summary>A BFDProfile with MetalLB's defaults (intervals in milliseconds).</summary>
public sealed record BfdProfileConfig(string Namespace, string Name)
{
    public uint ReceiveInterval { get; init; } = 300;

    public uint TransmitInterval { get; init; } = 300;

    public uint DetectMultiplier { get; init; } = 3;

    public uint EchoInterval { get; init; } = 50;

    public bool EchoMode { get; init; }

    public bool PassiveMode { get; init; }

    /// <summary>For multi-hop sessions: the lowest TTL accepted (RFC 5883 §5).</summary>
    public uint MinimumTtl { get; init; } = 254;
}
