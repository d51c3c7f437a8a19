using System.Text.Json;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using k8s.Models;

namespace BgpLb.Kubernetes.Tests.Speaker;

/// <summary>
/// One speaker scenario: a router namespace with a bridge (BIRD at 203.0.113.1, AS 64513, one passive session
/// per node), one namespace per node on that bridge (203.0.113.2, .3, …), a Kubernetes namespace of the test's
/// own with a pool, a BGPPeer and a BGPAdvertisement, a Node object per node, and a <c>bgplb speaker</c> per node
/// in its namespace, as the bgplb-speaker ServiceAccount, reaching the API server through an <see cref="ApiRelay"/>.
/// Namespaces (network and Kubernetes objects) are prefixed bgplbv and removed in all outcomes.
/// </summary>
internal sealed partial class SpeakerLab : IAsyncDisposable
{
    public const string Prefix = "bgplbv";
    public const string RouterAddress = "203.0.113.1";
    public const int NodeAsn = 64512;
    public const int RouterAsn = 64513;
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly ApiServer _server;
    private readonly string _name;
    private readonly string _prefix;
    private readonly string? _password;
    private readonly List<SpeakerProcess> _speakers = [];
    private readonly List<ApiRelay> _relays = [];
    private readonly List<string> _services = [];

    private SpeakerLab(ApiServer server, string prefix, string name, string ns, string[] nodes, string? password)
    {
        _server = server;
        _prefix = prefix;
        _name = name;
        _password = password;
        Namespace = ns;
        Nodes = nodes;
        Dir = Directory.CreateTempSubdirectory($"{prefix}-{name}-").FullName;
    }

    public k8s.Kubernetes Admin { get; private set; } = null!;

    /// <summary>The test's Kubernetes namespace: the bgplb.io objects, the Services, the Secrets.</summary>
    public string Namespace { get; }

    /// <summary>The Node names (unique in the shared API server), node i at 203.0.113.(2+i).</summary>
    public string[] Nodes { get; }

    public string Dir { get; }

    public string LoadBalancerClass => "bgplbv.example/" + Namespace;

    private string RouterNs => $"{_prefix}-{_name}-r";

    private string NodeNs(int i) => $"{_prefix}-{_name}-n{i}";

    public static string NodeAddress(int i) => $"203.0.113.{2 + i}";

    /// <param name="nodes">How many nodes (speakers).</param>
    /// <param name="password">A TCP MD5 password (RFC 2385) for the sessions, given to the speakers through a BGPPeer's passwordSecret.</param>
    /// <param name="prefix">Of the network namespaces, temporary directory and Kubernetes namespace (a bench running beside the suite has its own).</param>
    public static async Task<SpeakerLab> StartAsync(ApiServer server, string name, string pool, int nodes = 1, string? password = null, string prefix = Prefix)
    {
        Assert.True(Environment.UserName == "root" || NetnsLab.Run("id -u").Output.Trim() == "0", "the speaker tests need root (network namespaces); run them with sudo or ./test.sh");
        Assert.True(NetnsLab.Run("command -v bird && command -v birdc").Code == 0, "bird2 is missing: apt-get install bird2 (./test.sh installs it)");
        await Deploy.InstallCrdsAsync(server);
        var ns = $"{prefix}-{name}-{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + name.Length + 14)];
        var lab = new SpeakerLab(server, prefix, name, ns, [.. Enumerable.Range(0, nodes).Select(i => $"{ns}-node{i}")], password);
        try
        {
            lab.Network();
            lab.StartBird();
            await lab.ObjectsAsync(pool);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private void Network()
    {
        NetnsLab.Run($"for n in $(ip netns list | awk '{{print $1}}' | grep '^{_prefix}-{_name}-'); do ip netns pids $n | xargs -r kill -9; ip netns del $n; done");
        NetnsLab.Sh($"ip netns add {RouterNs}");
        NetnsLab.Sh($"ip -n {RouterNs} link add br0 type bridge");
        NetnsLab.Sh($"ip -n {RouterNs} addr add {RouterAddress}/24 dev br0");
        NetnsLab.Sh($"ip -n {RouterNs} link set br0 up");
        NetnsLab.Sh($"ip -n {RouterNs} link set lo up");
        for (var i = 0; i < Nodes.Length; i++)
        {
            NetnsLab.Sh($"ip netns add {NodeNs(i)}");
            NetnsLab.Sh($"ip -n {NodeNs(i)} link add eth0 type veth peer name n{i} netns {RouterNs}");
            NetnsLab.Sh($"ip -n {RouterNs} link set n{i} master br0 up");
            NetnsLab.Sh($"ip -n {NodeNs(i)} addr add {NodeAddress(i)}/24 dev eth0");
            NetnsLab.Sh($"ip -n {NodeNs(i)} link set eth0 up");
            NetnsLab.Sh($"ip -n {NodeNs(i)} link set lo up");
        }
    }

    private string BirdSocket => Path.Combine(Dir, "bird.ctl");

    private string BirdLog => Path.Combine(Dir, "bird.log");

    // One passive session per node; "error wait time 1, 5": after a failed session BIRD would refuse us for 60 s.
    private void StartBird()
    {
        var protocols = string.Concat(Enumerable.Range(0, Nodes.Length).Select(i => $$"""
            protocol bgp node{{i}} {
              local {{RouterAddress}} as {{RouterAsn}};
              neighbor {{NodeAddress(i)}} as {{NodeAsn}};
              passive on;
              hold time 9;
              error wait time 1, 5;
              {{(_password is null ? "" : $"password \"{_password}\";")}}
              ipv4 { import all; export none; };
            }

            """));
        File.WriteAllText(Path.Combine(Dir, "bird.conf"), $$"""
            router id {{RouterAddress}};
            log "{{BirdLog}}" all;
            protocol device { }
            {{protocols}}
            """);
        NetnsLab.Sh($"ip netns exec {RouterNs} bird -c {Dir}/bird.conf -s {BirdSocket} -P {Dir}/bird.pid");
    }

    public string Birdc(string command) => NetnsLab.Run($"birdc -s {BirdSocket} {command}").Output;

    /// <summary>The prefixes BIRD holds (every route in its table is from a speaker).</summary>
    public IReadOnlySet<string> Prefixes() =>
        PrefixLine().Matches(Birdc("show route table master4")).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>The next hops of BIRD's paths to <paramref name="prefix"/>.</summary>
    public IReadOnlySet<string> NextHops(string prefix) =>
        ViaLine().Matches(Birdc($"show route {prefix}")).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    public bool Established(int node) => Birdc($"show protocols node{node}").Contains("Established", StringComparison.Ordinal);

    public string Diagnostics() =>
        $"{Birdc("show protocols all")}\n{Birdc("show route all")}\n--- bird.log ---\n{(File.Exists(BirdLog) ? string.Join('\n', File.ReadAllLines(BirdLog).TakeLast(30)) : "")}\n"
        + string.Concat(_speakers.Select(s => $"--- speaker {s.Node}{(s.HasExited ? " (exited)" : "")} ---\n{s.Output}\n"));

    /// <summary>Waits (bounded) until BIRD holds exactly <paramref name="expected"/>; fails at once when a speaker exited.</summary>
    public async Task HoldsAsync(string[] expected, string when)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!Prefixes().SetEquals(expected) && DateTime.UtcNow < deadline && !_speakers.Any(s => s.HasExited))
        {
            await Task.Delay(100);
        }
        Assert.True(Prefixes().SetEquals(expected),
            $"{when}: BIRD holds [{string.Join(", ", Prefixes())}], expected [{string.Join(", ", expected)}] (waited up to {Bound.TotalSeconds} s)\n{Diagnostics()}");
    }

    private async Task ObjectsAsync(string pool)
    {
        Admin = _server.AdminClient();
        await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
        for (var i = 0; i < Nodes.Length; i++)
        {
            await Admin.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = Nodes[i], Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = Nodes[i] } },
            });
        }
        await CreateAsync("ipaddresspools", "IPAddressPool", "pool", new Dictionary<string, object> { ["addresses"] = new[] { pool } });
        var peer = new Dictionary<string, object> { ["myASN"] = NodeAsn, ["peerASN"] = RouterAsn, ["peerAddress"] = RouterAddress, ["holdTime"] = "9s" };
        if (_password is not null)
        {
            await Admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "router-md5" },
                Type = "kubernetes.io/basic-auth",
                StringData = new Dictionary<string, string> { ["password"] = _password },
            }, Namespace);
            peer["passwordSecret"] = new Dictionary<string, object> { ["name"] = "router-md5" };
        }
        await CreateAsync("bgppeers", "BGPPeer", "router", peer);
        await CreateAsync("bgpadvertisements", "BGPAdvertisement", "all", new Dictionary<string, object>());
    }

    /// <summary>Creates a bgplb.io object in the lab's namespace.</summary>
    public Task<object> CreateAsync(string plural, string kind, string name, Dictionary<string, object> spec) =>
        BgplbObjects.CreateAsync(Admin, Namespace, plural, kind, name, spec);

    /// <summary>Starts the speaker of node <paramref name="i"/> in its namespace, as the bgplb-speaker ServiceAccount.</summary>
    /// <param name="binary">A published <c>bgplb</c> executable (Native AOT, as operators run it) instead of the test's <c>dotnet bgplb.dll</c>.</param>
    public async Task<SpeakerProcess> SpeakerAsync(int i, string? binary = null)
    {
        var relay = new ApiRelay(NodeNs(i), () => _server.Port);
        _relays.Add(relay);
        var kubeconfig = await ServiceAccounts.SpeakerKubeconfigAsync(_server, Admin, Namespace, relay.Address);
        var speaker = new SpeakerProcess(NodeNs(i), Nodes[i], kubeconfig, Namespace, LoadBalancerClass, Dir, binary);
        _speakers.Add(speaker);
        return speaker;
    }

    /// <summary><c>bgplbctl VERB -o json</c> against the admin socket of node <paramref name="i"/>'s speaker, which must succeed.</summary>
    public JsonElement Ctl(int i, string verb)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "bgplbctl.dll");
        var (code, stdout) = NetnsLab.Run($"dotnet {dll} --socket {Path.Combine(Dir, Nodes[i] + ".sock")} {verb} -o json 2>&1", timeoutSeconds: 60);
        Assert.True(code == 0, $"bgplbctl {verb} exited {code}: {stdout}\n{Diagnostics()}");
        using var document = JsonDocument.Parse(stdout);
        return document.RootElement.Clone();
    }

    /// <summary>A LoadBalancer Service of the lab's class.</summary>
    public async Task CreateServiceAsync(string name, bool local = false)
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer", LoadBalancerClass = LoadBalancerClass, Ports = [new V1ServicePort { Port = 80 }],
                ExternalTrafficPolicy = local ? "Local" : "Cluster",
            },
        };
        await Admin.CoreV1.CreateNamespacedServiceAsync(service, Namespace);
        _services.Add(name);
    }

    /// <summary>Writes the Service's status as the controller would.</summary>
    public Task SetIngressAsync(string name, string ip) =>
        Admin.CoreV1.PatchNamespacedServiceStatusAsync(
            new V1Patch("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"" + ip + "\"}]}}}", V1Patch.PatchType.MergePatch), name, Namespace);

    public Task DeleteServiceAsync(string name) => Admin.CoreV1.DeleteNamespacedServiceAsync(name, Namespace);

    /// <summary>Sets (or, with null, removes) a label of node <paramref name="i"/>'s Node.</summary>
    public Task LabelNodeAsync(int i, string key, string? value) =>
        Admin.CoreV1.PatchNodeAsync(
            new V1Patch(new Dictionary<string, object?> { ["metadata"] = new Dictionary<string, object?> { ["labels"] = new Dictionary<string, object?> { [key] = value } } },
                V1Patch.PatchType.MergePatch), Nodes[i]);

    /// <summary>Sets node <paramref name="i"/>'s Ready condition as a kubelet would (a strategic merge patch: conditions merge by type).</summary>
    public Task SetReadyAsync(int i, string status, string reason) =>
        Admin.CoreV1.PatchNodeStatusAsync(
            new V1Patch("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + status + "\",\"reason\":\"" + reason + "\",\"message\":\"set by the test\"}]}}",
                V1Patch.PatchType.StrategicMergePatch), Nodes[i]);

    /// <summary>Creates or replaces the Service's EndpointSlice with one ready endpoint on node <paramref name="i"/>.</summary>
    public async Task EndpointOnAsync(string service, int i)
    {
        var slice = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = service + "-1", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["10.244.0.10"], NodeName = Nodes[i], Conditions = new V1EndpointConditions { Ready = true } }],
            Ports = [new Discoveryv1EndpointPort { Port = 8080, Protocol = "TCP" }],
        };
        try
        {
            var existing = await Admin.DiscoveryV1.ReadNamespacedEndpointSliceAsync(slice.Metadata.Name, Namespace);
            slice.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await Admin.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, Namespace);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            await Admin.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, Namespace);
        }
    }

    /// <summary>The Events of <paramref name="reason"/> on the object named <paramref name="name"/> in the lab's namespace.</summary>
    public async Task<List<Corev1Event>> EventsAsync(string name, string reason) =>
        [.. (await Admin.CoreV1.ListNamespacedEventAsync(Namespace, fieldSelector: $"involvedObject.name={name},reason={reason}")).Items];

    /// <summary>A new admin client after the API server restarted (it may listen on another port).</summary>
    public void Reconnect()
    {
        Admin.Dispose();
        Admin = _server.AdminClient();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var speaker in _speakers)
        {
            speaker.Dispose();
        }
        foreach (var relay in _relays)
        {
            await relay.DisposeAsync();
        }
        if (File.Exists(Path.Combine(Dir, "bird.pid")))
        {
            NetnsLab.Run($"kill {File.ReadAllText(Path.Combine(Dir, "bird.pid")).Trim()}");
        }
        NetnsLab.Run($"for n in $(ip netns list | awk '{{print $1}}' | grep '^{_prefix}-{_name}-'); do ip netns pids $n | xargs -r kill -9; ip netns del $n; done");
        if (Admin is not null)
        {
            foreach (var node in Nodes)
            {
                await QuietlyAsync(() => Admin.CoreV1.DeleteNodeAsync(node));
            }
            foreach (var service in _services)
            {
                await QuietlyAsync(() => Admin.CoreV1.DeleteNamespacedServiceAsync(service, Namespace));
            }
            Admin.Dispose();
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // a process killed with its namespace may still be closing a file here
        }
    }

    /// <summary>Clean-up of an object the test may have deleted already (or a server it stopped).</summary>
    private static async Task QuietlyAsync(Func<Task> delete)
    {
        try
        {
            await delete();
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            // gone already
        }
    }

    [GeneratedRegex(@"^(\S+/\d+)\s+unicast", RegexOptions.Multiline)]
    private static partial Regex PrefixLine();

    [GeneratedRegex(@"via (\S+)")]
    private static partial Regex ViaLine();
}
