namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// The combinations the interop matrix runs against every router. Four cases instead of the full
/// 2 × 2 × 2 product of session type × who connects × transport, chosen so that every pair of
/// values of those three meets in some case; 4-octet ASNs are on both sides in
/// <see cref="EbgpPassiveIpv6"/> and <see cref="IbgpActiveIpv6"/>, and <see cref="IbgpPassiveIpv4"/>
/// runs with a 2-octet local AS.
/// </summary>
public enum InteropCase
{
    /// <summary>eBGP, we connect, IPv4 transport; AS 4200000001 (us) to AS 64512 (router).</summary>
    EbgpActiveIpv4,

    /// <summary>eBGP, the router connects to our listener, IPv6 transport; AS 4200000001 to AS 4200000002.</summary>
    EbgpPassiveIpv6,

    /// <summary>iBGP, we connect, IPv6 transport; AS 4200000001 on both sides.</summary>
    IbgpActiveIpv6,

    /// <summary>iBGP, the router connects to our listener, IPv4 transport; AS 64512 on both sides.</summary>
    IbgpPassiveIpv4,
}
