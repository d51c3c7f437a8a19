namespace BgpLb.Daemon.Runtime;

/// <summary>A Service's L2 owner changed, as this node sees it (counted by <c>bgplb_l2_ownership_changes_total</c>).</summary>
internal enum L2OwnerChange
{
    /// <summary>This node became the owner: it answers ARP/NDP for the Service's VIPs now.</summary>
    Taken,
    /// <summary>This node stopped being the owner (another node took over, or nobody may answer).</summary>
    Released,
    /// <summary>The owner changed between other nodes (or from or to nobody).</summary>
    Moved,
}
