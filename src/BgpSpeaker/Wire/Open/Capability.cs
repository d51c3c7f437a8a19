using System.Text;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>A capability advertised in OPEN (RFC 5492 §4). Unknown codes keep their raw value.</summary>
public abstract record Capability
{
    public abstract CapabilityCode Code { get; }
}

/// <summary>Multiprotocol Extensions (RFC 4760 §8): value AFI(2) reserved(1) SAFI(1).</summary>
public sealed record MultiprotocolCapability(AfiSafi Family) : Capability
{
    public override CapabilityCode Code => CapabilityCode.Multiprotocol;
}

/// <summary>Route Refresh (RFC 2918 §2), no value.</summary>
public sealed record RouteRefreshCapability : Capability
{
    public override CapabilityCode Code => CapabilityCode.RouteRefresh;
}

/// <summary>Enhanced Route Refresh (RFC 7313 §3), no value.</summary>
public sealed record EnhancedRouteRefreshCapability : Capability
{
    public override CapabilityCode Code => CapabilityCode.EnhancedRouteRefresh;
}

/// <summary>Extended Message (RFC 8654 §3), no value.</summary>
public sealed record ExtendedMessageCapability : Capability
{
    public override CapabilityCode Code => CapabilityCode.ExtendedMessage;
}

/// <summary>Support for 4-octet AS numbers (RFC 6793 §3): value is the speaker's 4-octet AS.</summary>
public sealed record FourOctetAsnCapability(uint Asn) : Capability
{
    public override CapabilityCode Code => CapabilityCode.FourOctetAsn;
}

/// <summary>Per-family Graceful Restart state (RFC 4724 §3).</summary>
public readonly record struct GracefulRestartFamily(AfiSafi Family, bool ForwardingStatePreserved);

/// <summary>
/// Graceful Restart (RFC 4724 §3): flags(4 bits) restart time(12 bits), then AFI(2) SAFI(1)
/// flags(1) per family. <see cref="Notification"/> is the N bit of RFC 8538 §2.
/// </summary>
public sealed record GracefulRestartCapability(
    bool RestartState,
    bool Notification,
    ushort RestartTime,
    ValueArray<GracefulRestartFamily> Families) : Capability
{
    /// <summary>RFC 4724 §3: the Restart Time is 12 bits.</summary>
    public const ushort MaxRestartTime = 0x0FFF;

    public override CapabilityCode Code => CapabilityCode.GracefulRestart;
}

/// <summary>Send/Receive field of ADD-PATH (RFC 7911 §4).</summary>
[Flags]
public enum AddPathMode : byte
{
    None = 0,
    Receive = 1,
    Send = 2,
    Both = Receive | Send,
}

public readonly record struct AddPathFamily(AfiSafi Family, AddPathMode Mode);

/// <summary>ADD-PATH (RFC 7911 §4): AFI(2) SAFI(1) Send/Receive(1) per family.</summary>
public sealed record AddPathCapability(ValueArray<AddPathFamily> Families) : Capability
{
    public override CapabilityCode Code => CapabilityCode.AddPath;
}

/// <summary>
/// FQDN (draft-walton-bgp-hostname-capability §3) as FRR sends it: hostname length(1) hostname,
/// domain length(1) domain name, both UTF-8 (FRR writes ASCII).
/// </summary>
public sealed record FqdnCapability(string HostName, string DomainName) : Capability
{
    public override CapabilityCode Code => CapabilityCode.Fqdn;

    internal int ValueLength => 2 + Encoding.UTF8.GetByteCount(HostName) + Encoding.UTF8.GetByteCount(DomainName);
}

/// <summary>Any capability this codec does not interpret: kept byte for byte (RFC 5492 §3).</summary>
public sealed record UnknownCapability(byte RawCode, ValueArray<byte> Value) : Capability
{
    public override CapabilityCode Code => (CapabilityCode)RawCode;
}
