using System.Globalization;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using static BgpLb.BgpSpeaker.Tests.Interop.NetnsLab;

namespace BgpLb.L2Fallback.Tests.Lab;

/// <summary>
/// One Ethernet segment in network namespaces: a bridge in its own namespace ("sw"), a client and
/// N nodes, each joined to the bridge by a veth pair whose inner end is eth0. Links carry
/// 198.51.100.0/24 (client .1, node i .1i) and 2001:db8:2::/64; the client routes the VIP ranges
/// 198.18.0.0/15 and 2001:db8:ffff::/48 on-link, the nodes have default routes on eth0 (so VIPs
/// outside the link subnet select eth0 by the default-route rule). Nothing touches the test
/// process's own namespace. Removed in all outcomes, stale ones of the same lab first. Needs root,
/// iproute2, iputils-arping, iputils-ping and ndisc6: without them it fails, it does not skip.
/// Shell, polling and setns helpers are <see cref="NetnsLab"/>'s (compiled in by link).
/// </summary>
internal sealed partial class L2Lab : IDisposable
{
    private static readonly string[] ClientHost = ["client"];
    private readonly string _name;
    private readonly string _prefix;
    private readonly LineProcess _neighbours;

    /// <param name="prefix">The namespaces' prefix: each test project has its own, so parallel runs never clean each other's.</param>
    public L2Lab(string name, int nodes, string prefix = "bgplbl")
    {
        _name = name;
        _prefix = prefix;
        RequireTools();
        RemoveStale(prefix, name);
        Sh($"ip netns add {Switch}");
        Sh($"ip -n {Switch} link add br0 type bridge");
        Sh($"ip -n {Switch} link set br0 up");
        Nodes = [.. Enumerable.Range(1, nodes).Select(i => $"n{i}")];
        var hosts = ClientHost.Concat(Nodes).ToArray();
        for (var i = 0; i < hosts.Length; i++)
        {
            var ns = Ns(hosts[i]);
            Sh($"ip netns add {ns}");
            Sh($"ip -n {ns} link add eth0 type veth peer name p{i} netns {Switch}");
            Sh($"ip -n {Switch} link set p{i} master br0 up");
            Sh($"ip -n {ns} link set lo up");
            Sh($"ip -n {ns} addr add {V4(hosts[i])}/24 dev eth0");
            Sh($"ip -n {ns} -6 addr add {V6(hosts[i])}/64 dev eth0 nodad");
            Sh($"ip -n {ns} link set eth0 up");
        }
        Sh($"ip -n {Ns("client")} route add 198.18.0.0/15 dev eth0");
        Sh($"ip -n {Ns("client")} -6 route add 2001:db8:ffff::/48 dev eth0");
        foreach (var node in Nodes)
        {
            Sh($"ip -n {Ns(node)} route add default dev eth0");
            Sh($"ip -n {Ns(node)} -6 route add default dev eth0");
        }
        // The client kernel's own record of when its entries changed ("[UTC time] ip dev eth0
        // lladdr MAC STATE"): failover is measured from it, not from how fast a test can spawn
        // `ip neigh` on a loaded machine (which once added a second to a 260 ms failover).
        _neighbours = new LineProcess("env", ["TZ=UTC", "ip", "netns", "exec", Ns("client"), "ip", "-ts", "monitor", "neigh"]);
    }

    /// <summary>The client's neighbour table events so far, with their times.</summary>
    public List<string> ClientNeighbourEvents => _neighbours.Lines;

    /// <summary>When the client's kernel first pointed <paramref name="ip"/> at <paramref name="mac"/> at or after <paramref name="since"/>, or null.</summary>
    public DateTimeOffset? ClientMovedAt(string ip, MacAddress mac, DateTimeOffset since)
    {
        foreach (var line in _neighbours.Lines)
        {
            var match = NeighbourEventRegex().Match(line);
            if (match.Success && match.Groups["ip"].Value == ip
                && MacAddress.TryParse(match.Groups["mac"].Value, out var seen) && seen == mac
                && DateTimeOffset.ParseExact(match.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) is var at
                && at >= since)
            {
                return at;
            }
        }
        return null;
    }

    public List<string> Nodes { get; }

    private string Switch => $"{_prefix}-{_name}-sw";

    public string Ns(string host) => $"{_prefix}-{_name}-{host}";

    public static string V4(string host) => host == "client" ? "198.51.100.1" : $"198.51.100.1{host[1..]}";

    public static string V6(string host) => host == "client" ? "2001:db8:2::1" : $"2001:db8:2::1{host[1..]}";

    public MacAddress MacOf(string host)
    {
        var line = Sh($"ip -n {Ns(host)} -o link show eth0");
        var match = EtherRegex().Match(line);
        Assert.True(match.Success, $"no MAC in `{line}`");
        return MacAddress.TryParse(match.Groups[1].Value, out var mac) ? mac : throw new InvalidOperationException(line);
    }

    public string Client(string command, int timeoutSeconds = 20) => Sh($"ip netns exec {Ns("client")} {command}", timeoutSeconds);

    public (int Code, string Output) TryClient(string command, int timeoutSeconds = 20) => Run($"ip netns exec {Ns("client")} {command}", timeoutSeconds);

    /// <summary>The MAC the client's neighbour table holds for <paramref name="ip"/>, or null.</summary>
    public MacAddress? ClientNeighbour(string ip)
    {
        var (_, output) = TryClient($"ip neigh show {ip} dev eth0");
        var match = LladdrRegex().Match(output);
        return match.Success && MacAddress.TryParse(match.Groups[1].Value, out var mac) ? mac : null;
    }

    /// <summary>MACs that answered <c>arping</c> for <paramref name="ip"/> (empty: no answer).</summary>
    public HashSet<MacAddress> ArpingMacs(string ip, int count = 1)
    {
        var (_, output) = TryClient($"arping -c {count} -w {count + 1} -I eth0 {ip}", count + 10);
        return [.. ReplyMacRegex().Matches(output).Select(m => MacAddress.TryParse(m.Groups[1].Value, out var mac) ? mac : MacAddress.Zero)];
    }

    /// <summary>The MAC <c>ndisc6</c> learns for <paramref name="ip"/>, or null when nothing answered.</summary>
    public MacAddress? Ndisc6Mac(string ip)
    {
        var (_, output) = TryClient($"ndisc6 -1 -r 2 -w 500 {ip} eth0");
        var match = TargetLinkLayerRegex().Match(output);
        return match.Success && MacAddress.TryParse(match.Groups[1].Value, out var mac) ? mac : null;
    }

    /// <summary>Runs <paramref name="action"/> on a thread that joined <paramref name="host"/>'s namespace (setns), then ends.</summary>
    public T InNamespace<T>(string host, Func<T> action) => NetnsLab.InNamespace(Ns(host), action);

    public void Dispose()
    {
        _neighbours.Dispose();
        foreach (var host in ClientHost.Concat(Nodes))
        {
            Run($"ip netns pids {Ns(host)} | xargs -r kill -9");
            Run($"ip netns del {Ns(host)}");
        }
        Run($"ip netns del {Switch}");
    }

    private static void RequireTools()
    {
        Assert.True(Environment.UserName == "root" || Run("id -u").Output.Trim() == "0", "the L2 lab needs root (network namespaces, raw sockets)");
        foreach (var (tool, package) in new[] { ("ip", "iproute2"), ("arping", "iputils-arping"), ("ping", "iputils-ping"), ("ndisc6", "ndisc6") })
        {
            Assert.True(Run($"command -v {tool}").Code == 0, $"`{tool}` is missing: apt-get install {package} (./test.sh installs it)");
        }
    }

    [GeneratedRegex(@"^\[(?<at>[^\]]+)\] (?<ip>\S+) dev \S+ lladdr (?<mac>[0-9a-f:]{17})")]
    private static partial Regex NeighbourEventRegex();

    [GeneratedRegex(@"link/ether ([0-9a-f:]{17})")]
    private static partial Regex EtherRegex();

    [GeneratedRegex(@"lladdr ([0-9a-f:]{17})")]
    private static partial Regex LladdrRegex();

    [GeneratedRegex(@"reply from \S+ \[([0-9A-Fa-f:]{17})\]")]
    private static partial Regex ReplyMacRegex();

    [GeneratedRegex(@"Target link-layer address: ([0-9A-Fa-f:]{17})")]
    private static partial Regex TargetLinkLayerRegex();
}
