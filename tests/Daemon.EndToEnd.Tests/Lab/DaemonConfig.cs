using System.Globalization;
using System.Text;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// The YAML a test gives the daemon: one pool (198.18.0.1-254 and 2001:db8:ffff::1-ff), a BGPPeer
/// per session of the lab's router, one BGPAdvertisement of the pool, and the Services named. Each Service asks
/// for a single-stack IPv4 VIP unless it requests an address.
/// </summary>
internal sealed record DaemonConfig
{
    public const string PoolV4 = "198.18.0.1-198.18.0.254";
    public const string PoolV6 = "2001:db8:ffff::1-2001:db8:ffff::ff";

    public required RouterSetup Router { get; init; }

    /// <summary>BGPPeer <c>enableGracefulRestart</c>.</summary>
    public bool GracefulRestart { get; init; }

    /// <summary>A BFDProfile "fast" (<see cref="BfdInterval"/> both ways, multiplier 3) named by every BGPPeer's <c>bfdProfile</c>.</summary>
    public bool Bfd { get; init; }

    /// <summary>The BFDProfile's receiveInterval and transmitInterval (ms).</summary>
    public int BfdInterval { get; init; } = 300;

    /// <summary>BGPAdvertisement <c>communities</c>.</summary>
    public IReadOnlyList<string> Communities { get; init; } = [];

    /// <summary>BGPAdvertisement <c>localPref</c> (iBGP only).</summary>
    public uint? LocalPref { get; init; }

    /// <summary>The Services, in file order.</summary>
    public IReadOnlyList<ServiceSpec> Services { get; init; } = [];

    public override string ToString()
    {
        var yaml = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: vips
            spec:
              addresses:
                - {PoolV4}
                - {PoolV6}

            """);
        // A BGPPeer per session the router offers: "router" (IPv4) and, with an IPv6 session, "router6".
        foreach (var (index, (_, router)) in Router.Sessions.Index())
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: bgplb.io/v1beta1
                kind: BGPPeer
                metadata:
                  name: router{(index == 0 ? "" : "6")}
                spec:
                  myASN: {Router.NodeAsn}
                  peerASN: {Router.RouterAsn}
                  peerAddress: {router}
                  holdTime: 9s
                  enableGracefulRestart: {(GracefulRestart ? "true" : "false")}

                """);
            if (Bfd)
            {
                yaml.Append("  bfdProfile: fast\n");
            }
        }
        if (Bfd)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: bgplb.io/v1beta1
                kind: BFDProfile
                metadata:
                  name: fast
                spec:
                  receiveInterval: {BfdInterval}
                  transmitInterval: {BfdInterval}
                  detectMultiplier: 3

                """);
        }
        yaml.Append(CultureInfo.InvariantCulture, $"""
            ---
            apiVersion: bgplb.io/v1beta1
            kind: BGPAdvertisement
            metadata:
              name: vips-to-router
            spec:
              ipAddressPools:
                - vips

            """);
        if (LocalPref is { } localPref)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  localPref: {localPref}\n");
        }
        if (Communities.Count > 0)
        {
            yaml.Append("  communities:\n");
            foreach (var community in Communities)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    - \"{community}\"\n");
            }
        }
        foreach (var service in Services)
        {
            yaml.Append(service.Yaml());
        }
        return yaml.ToString();
    }
}

/// <summary>A Service of type LoadBalancer in namespace <c>default</c>.</summary>
/// <param name="Name">metadata.name.</param>
/// <param name="LoadBalancerIp">spec.loadBalancerIP, or the raw text of a bad one; null: the allocator picks.</param>
/// <param name="DualStack">spec.ipFamilyPolicy RequireDualStack (one IPv4 and one IPv6 VIP).</param>
internal sealed record ServiceSpec(string Name, string? LoadBalancerIp = null, bool DualStack = false)
{
    public string Yaml()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: {Name}
              namespace: default
            spec:
              type: LoadBalancer
              ports:
                - port: 80
                  protocol: TCP
              selector:
                app: {Name}

            """);
        if (LoadBalancerIp is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  loadBalancerIP: \"{LoadBalancerIp}\"\n");
        }
        if (DualStack)
        {
            text.Append("  ipFamilyPolicy: RequireDualStack\n  ipFamilies:\n    - IPv4\n    - IPv6\n");
        }
        return text.ToString();
    }
}
