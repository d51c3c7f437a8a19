namespace BgpLb.Daemon.Model;

/// <summary>BGPPeer <c>dynamicASN</c> (MetalLB v1beta2): accept the peer's ASN from its OPEN, as long as it is ours (internal) or not (external).</summary>
public enum DynamicAsn
{
    Internal,
    External,
}
