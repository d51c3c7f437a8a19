using System.Collections.Immutable;

namespace BgpLb.L2Fallback.Election;

/// <summary>Eligible nodes in announcement order (the first is the owner) and why the others are not eligible.</summary>
public sealed record ElectionResult(ImmutableArray<string> Candidates, ImmutableDictionary<string, IneligibleReason> Ineligible)
{
    public string? Owner => Candidates.IsEmpty ? null : Candidates[0];
}
