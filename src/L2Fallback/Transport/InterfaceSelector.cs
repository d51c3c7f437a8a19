using System.Collections.Immutable;
using System.Net;

namespace BgpLb.L2Fallback.Transport;

/// <summary>Which interfaces announce a VIP, and why a configured one cannot.</summary>
public sealed record InterfaceSelection(ImmutableArray<LinkInfo> Interfaces, ImmutableArray<string> Missing, InterfaceSelectionRule Rule);

/// <summary>The rule that picked the interfaces.</summary>
public enum InterfaceSelectionRule
{
    /// <summary>The L2Advertisement lists interfaces.</summary>
    Configured,
    /// <summary>Every up Ethernet interface with an address in a subnet that contains the VIP.</summary>
    SubnetMatch,
    /// <summary>No interface has such an address: the interface of the default route of the VIP's family.</summary>
    DefaultRoute,
    /// <summary>Nothing matched: the VIP cannot be announced on this node.</summary>
    None,
}

/// <summary>
/// Interface selection for one VIP. Pure: links and routes in, interfaces out. Only up Ethernet
/// interfaces qualify (ARP and NDP here are Ethernet-framed).
/// </summary>
public static class InterfaceSelector
{
    public static InterfaceSelection Select(IReadOnlyList<LinkInfo> links, DefaultRoutes routes, IPAddress vip, ImmutableArray<string> configured)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(vip);
        var usable = links.Where(l => l.IsUp && l.IsEthernet).ToList();
        if (!configured.IsDefaultOrEmpty)
        {
            var chosen = usable.Where(l => configured.Contains(l.Name, StringComparer.Ordinal)).ToImmutableArray();
            var missing = configured.Where(name => !chosen.Any(l => l.Name == name)).ToImmutableArray();
            return new InterfaceSelection(chosen, missing, chosen.IsEmpty ? InterfaceSelectionRule.None : InterfaceSelectionRule.Configured);
        }
        var inSubnet = usable
            .Where(l => l.Addresses.Any(a => a.BaseAddress.AddressFamily == vip.AddressFamily && a.Contains(vip)))
            .ToImmutableArray();
        if (!inSubnet.IsEmpty)
        {
            return new InterfaceSelection(inSubnet, [], InterfaceSelectionRule.SubnetMatch);
        }
        var defaultName = routes.For(vip.AddressFamily);
        var viaDefault = usable.Where(l => l.Name == defaultName).ToImmutableArray();
        return new InterfaceSelection(viaDefault, [], viaDefault.IsEmpty ? InterfaceSelectionRule.None : InterfaceSelectionRule.DefaultRoute);
    }
}
