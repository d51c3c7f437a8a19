namespace BgpLb.L2Fallback.Liveness;

/// <summary>What a node believes of a member. Wire values.</summary>
public enum MemberStatus : byte
{
    /// <summary>Nothing heard yet since this node started.</summary>
    Unknown = 0,
    Alive = 1,
    Dead = 2,
}
