namespace BgpLb.BfdSession;

/// <summary>One thing wrong with a profile or peer: the field (MetalLB's BFDProfile name) and why.</summary>
public sealed record BfdConfigError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
