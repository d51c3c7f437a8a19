namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// One member's state as gossiped. The incarnation orders claims about the member: only the member
/// itself raises it (when it starts, and to refute a death it hears about), so a newer Alive beats an
/// older Dead and a Dead beats an Alive of the same incarnation.
/// </summary>
public readonly record struct MemberEntry(string Name, ulong Incarnation, MemberStatus Status);
