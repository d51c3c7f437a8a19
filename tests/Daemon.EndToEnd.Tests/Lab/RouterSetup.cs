namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>How the router facing the daemon is configured: always passive (the daemon connects), hold time 9 s.</summary>
/// <param name="RouterAsn">The router's AS (the BGPPeer's peerASN).</param>
/// <param name="NodeAsn">The daemon's AS (the BGPPeer's myASN); equal to <paramref name="RouterAsn"/> for iBGP.</param>
/// <param name="GracefulRestart">The router keeps a restarting peer's routes (RFC 4724 receiving speaker) when the peer asks for it.</param>
/// <param name="Ipv6Session">The router also peers with the node's IPv6 address: a second session, over which IPv6 VIPs travel.</param>
/// <param name="Bfd">The router runs BFD (RFC 5880) with the node and lets it take its BGP session down (RFC 5882).</param>
/// <param name="BfdInterval">The router's BFD receive and transmit intervals (ms), multiplier 3.</param>
/// <param name="Exported">IPv4 prefixes the router originates and announces to the node (BIRD only), each with MED 42, community 64512:7 and large community 64512:1:2.</param>
internal sealed record RouterSetup(uint RouterAsn, uint NodeAsn, bool GracefulRestart = false, bool Ipv6Session = false, bool Bfd = false, int BfdInterval = 300,
    IReadOnlyList<string>? Exported = null)
{
    public const uint OurAsn = 4200000001;
    public const uint TheirAsn = 64512;

    public static RouterSetup Ebgp { get; } = new(TheirAsn, OurAsn);

    public static RouterSetup Ibgp { get; } = new(OurAsn, OurAsn);

    public bool Internal => RouterAsn == NodeAsn;

    /// <summary>The router's neighbours: the node's IPv4 address, and its IPv6 address with <see cref="Ipv6Session"/>; each with the router's own address of that family.</summary>
    public IReadOnlyList<(string Node, string Router)> Sessions =>
        Ipv6Session
            ? [(EndToEndLab.NodeAddress, EndToEndLab.RouterAddress), (EndToEndLab.NodeAddressV6, EndToEndLab.RouterAddressV6)]
            : [(EndToEndLab.NodeAddress, EndToEndLab.RouterAddress)];
}
