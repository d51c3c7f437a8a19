using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.L2Fallback;
using BgpLb.L2Fallback.Election;
using BgpLb.L2Fallback.Tests.Lab;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// Three nodes and a client on one bridge (<see cref="L2Lab"/>, namespaces <c>bgplbn-NAME-*</c> by default), a
/// <c>bgplb run --node nI</c> per node on one shared config (three v1 Nodes with their InternalIPs, the
/// memberlist Secret, one L2Advertisement, one dual-stack Service), and on every node what kube-proxy
/// would do for the Service: an nft DNAT of the VIPs' port 80 to a local TCP echo listener on 8080,
/// which answers "NODE: " followed by what it read, so the client sees which node served it.
/// </summary>
internal sealed class L2Cluster : IDisposable
{
    public const string Vip4 = "198.18.5.10";
    public const string Vip6 = "2001:db8:ffff::5:10";
    private const int ServicePort = 80;
    private const int EchoPort = 8080;
    private readonly List<Socket> _listeners = [];
    private readonly Dictionary<string, DaemonProcess> _daemons = new(StringComparer.Ordinal);

    /// <param name="prefix">Namespace prefix: suites of their own (the admin API's) use theirs, so stale clean-ups never cross.</param>
    public L2Cluster(string name, string prefix = "bgplbn")
    {
        Lab = new L2Lab(name, nodes: 3, prefix: prefix);
        Require.Binaries("nftables", "nft");
        Dir = Directory.CreateTempSubdirectory($"{prefix}-{name}-").FullName;
        File.WriteAllText(ConfigPath, Config(Lab.Nodes));
        // MetalLB's order, by the Service's first address (IPv4 here) for both families.
        Order = [.. L2Election.Order(Lab.Nodes, IPAddress.Parse(Vip4))];
        foreach (var node in Lab.Nodes)
        {
            KubeProxy(node);
            _listeners.Add(StartEcho(node));
        }
    }

    public L2Lab Lab { get; }

    public string Dir { get; }

    public string ConfigPath => Path.Combine(Dir, "bgplb.yaml");

    /// <summary>The election order of the Service: the first answers while it lives.</summary>
    public List<string> Order { get; }

    public DaemonProcess Daemon(string node) => _daemons[node];

    /// <summary>The admin socket of <paramref name="node"/>'s daemon (a path: reachable from any namespace).</summary>
    public string AdminSocket(string node) => Path.Combine(Dir, node + "-admin", "admin.sock");

    /// <summary>The Prometheus exposition of <paramref name="node"/>'s daemon (its default metrics address, in its namespace).</summary>
    public string Metrics(string node) => NetnsLab.Run($"ip netns exec {Lab.Ns(node)} curl -s http://127.0.0.1:7472/metrics").Output;

    public DaemonProcess Start(string node)
    {
        if (_daemons.Remove(node, out var old))
        {
            old.Dispose();
        }
        var daemon = DaemonProcess.Start(Lab.Ns(node),
            ["--config", ConfigPath, "--state", Path.Combine(Dir, node + ".state.json"), "--node", node, "--bgp-port", "0", "--log-level", "Debug",
                "--admin-socket", AdminSocket(node)]);
        _daemons[node] = daemon;
        return daemon;
    }

    /// <summary>Silences <paramref name="node"/> at its NIC: nft drops every frame in and out (netdev ingress and egress), ARP and NDP included.</summary>
    public void Cut(string node) => NetnsLab.Sh($"ip netns exec {Lab.Ns(node)} nft -f - <<'EOF'\n"
        + "table netdev cut {\n"
        + "  chain in { type filter hook ingress device eth0 priority -500; policy drop; }\n"
        + "  chain out { type filter hook egress device eth0 priority -500; policy drop; }\n"
        + "}\nEOF");

    public void Heal(string node) => NetnsLab.Sh($"ip netns exec {Lab.Ns(node)} nft delete table netdev cut");

    /// <summary>kube-proxy's part: traffic to the VIPs' service port is DNATed to the node's own echo listener.</summary>
    private void KubeProxy(string node) => NetnsLab.Sh($"ip netns exec {Lab.Ns(node)} nft -f - <<'EOF'\n"
        + "table inet kubeproxy {\n"
        + "  chain prerouting {\n"
        + "    type nat hook prerouting priority dstnat;\n"
        + $"    ip daddr {Vip4} tcp dport {ServicePort} dnat ip to {L2Lab.V4(node)}:{EchoPort}\n"
        + $"    ip6 daddr {Vip6} tcp dport {ServicePort} dnat ip6 to [{L2Lab.V6(node)}]:{EchoPort}\n"
        + "  }\n"
        + "}\nEOF");

    private Socket StartEcho(string node)
    {
        var listener = Lab.InNamespace(node, () =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, EchoPort));
            socket.Listen();
            return socket;
        });
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (connection)
                    {
                        var buffer = new byte[256];
                        try
                        {
                            var n = await connection.ReceiveAsync(buffer).ConfigureAwait(false);
                            await connection.SendAsync(Encoding.ASCII.GetBytes($"{node}: {Encoding.ASCII.GetString(buffer, 0, n)}")).ConfigureAwait(false);
                        }
                        catch (SocketException)
                        {
                            // the client gave up (its connect timeout): nothing to answer
                        }
                    }
                });
            }
        });
        return listener;
    }

    /// <summary>
    /// One TCP exchange from the client to <paramref name="vip"/>:80 with a bound of <paramref name="timeout"/>
    /// per step; the node that answered, or null when nothing did.
    /// </summary>
    public string? Ask(string vip, TimeSpan timeout) => Lab.InNamespace("client", () =>
    {
        var address = IPAddress.Parse(vip);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            socket.ConnectAsync(new IPEndPoint(address, ServicePort), bound.Token).AsTask().GetAwaiter().GetResult();
            socket.Send("ping"u8);
            var buffer = new byte[256];
            var n = socket.ReceiveAsync(buffer, bound.Token).AsTask().GetAwaiter().GetResult();
            var text = Encoding.ASCII.GetString(buffer, 0, n);
            return text.EndsWith(": ping", StringComparison.Ordinal) ? text[..text.IndexOf(':', StringComparison.Ordinal)] : null;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
    });

    /// <summary>Asks both VIPs until <paramref name="node"/> answers both; the time from <paramref name="since"/>, or null after <paramref name="timeout"/>.</summary>
    public TimeSpan? WaitServedBy(string node, Stopwatch since, TimeSpan timeout)
    {
        var served = NetnsLab.WaitUntil(() => Ask(Vip4, TimeSpan.FromMilliseconds(200)) == node && Ask(Vip6, TimeSpan.FromMilliseconds(200)) == node, timeout, 10);
        return served ? since.Elapsed : null;
    }

    /// <summary>The client's neighbour entries of both VIPs point at <paramref name="node"/>'s MAC.</summary>
    public bool ClientFollows(string node)
    {
        var mac = Lab.MacOf(node);
        return Lab.ClientNeighbour(Vip4) == mac && Lab.ClientNeighbour(Vip6) == mac;
    }

    /// <summary>Every MAC that answered three ARP requests and one NDP solicitation for the VIPs.</summary>
    public HashSet<MacAddress> Answering()
    {
        var macs = Lab.ArpingMacs(Vip4, count: 3);
        if (Lab.Ndisc6Mac(Vip6) is { } mac)
        {
            macs.Add(mac);
        }
        return macs;
    }

    public string Describe() => string.Join("\n", _daemons.Select(d => $"=== {d.Key} ===\n{d.Value.Output()}"))
        + $"\nMACs: {string.Join(' ', Lab.Nodes.Select(n => $"{n}={Lab.MacOf(n)}"))}; client: {Vip4} -> {Lab.ClientNeighbour(Vip4)}, {Vip6} -> {Lab.ClientNeighbour(Vip6)}";

    /// <summary>Rewrites the shared config (every daemon reloads): <paramref name="excluded"/> gets the label that keeps a node from L2 elections; <paramref name="extra"/> is appended.</summary>
    public void WriteConfig(string? excluded = null, string extra = "") => File.WriteAllText(ConfigPath, Config(Lab.Nodes, excluded) + extra);

    private static string Config(IEnumerable<string> nodes, string? excluded = null)
    {
        var yaml = new StringBuilder();
        foreach (var node in nodes)
        {
            var exclude = node == excluded ? $"\n    {L2Fallback.Election.ElectionNode.ExcludeFromExternalLoadBalancers}: \"\"" : "";
            yaml.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: v1
                kind: Node
                metadata:
                  name: {node}
                  labels:
                    kubernetes.io/hostname: {node}{exclude}
                status:
                  addresses:
                    - type: InternalIP
                      address: {L2Lab.V4(node)}
                    - type: Hostname
                      address: {node}
                ---

                """);
        }
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: memberlist
              namespace: bgplb-system
            stringData:
              secretkey: 0123456789abcdef0123456789abcdef
            ---
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: lan
            spec:
              addresses:
                - {Vip4}/32
                - {Vip6}/128
            ---
            apiVersion: bgplb.io/v1beta1
            kind: L2Advertisement
            metadata:
              name: lan
            spec:
              ipAddressPools: [lan]
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
              namespace: default
            spec:
              type: LoadBalancer
              ipFamilyPolicy: RequireDualStack
              ipFamilies: [IPv4, IPv6]
              ports:
                - port: {ServicePort}
            ---

            """);
        return yaml.ToString();
    }

    public void Dispose()
    {
        foreach (var daemon in _daemons.Values)
        {
            daemon.Dispose();
        }
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        Lab.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a daemon killed with the namespace may still be closing its state file.
        }
    }
}
