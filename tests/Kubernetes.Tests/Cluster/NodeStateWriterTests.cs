using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.Cluster;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BgpLb.Kubernetes.Tests.Cluster;

/// <summary>
/// The NodeState writer against the real API server, as the bgplb-speaker ServiceAccount (a TokenRequest token:
/// a permission deploy/rbac lacks fails the test), reporting on a real <see cref="DaemonHost"/> in standalone mode
/// whose BGP peer is a speaker of ours playing the router in a network namespace (the test is about the writer:
/// what BIRD receives is the end-to-end tests'). Each test has its own node name, so its own NodeState in bgplb-system.
/// </summary>
[Collection(ApiServerGroup.Name)]
public sealed class NodeStateWriterTests(ApiServer server, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime, IAsyncDisposable
{
    private const string SystemNamespace = "bgplb-system";
    private const uint OurAsn = 4200000001;
    private const uint RouterAsn = 64512;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Faster than the defaults, so that the tests' waits stay short; the window is the default's.</summary>
    private static readonly NodeStateOptions Options = new()
    {
        PollInterval = TimeSpan.FromMilliseconds(300),
        ResyncInterval = TimeSpan.FromSeconds(1),
        InitialBackoff = TimeSpan.FromMilliseconds(200),
        MaxBackoff = TimeSpan.FromSeconds(1),
    };

    private readonly string _node = "bgplbw-" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _folder = Directory.CreateTempSubdirectory("bgplbw-nodestate-").FullName;
    private readonly StringWriter _text = new();
    // One synchronized writer for every logger of the test: its methods lock the wrapper, so Log locks it too.
    private TextWriter? _syncWriter;

    private TextWriter _sync => _syncWriter ??= TextWriter.Synchronized(_text);
    private NetnsLab _lab = null!;
    private BgpSpeaker.BgpSpeaker _router = null!;
    private k8s.Kubernetes _admin = null!;
    private ApiConnection _api = null!;
    private DaemonHost? _host;
    private Task? _hostRun;
    private NodeStateWriter? _writer;
    private Task? _writerRun;
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource? _writerStop;

    private string ConfigPath => Path.Combine(_folder, "config.yaml");

    private string ObjectPath => NodeStateWriter.Type.ObjectPath(SystemNamespace, _node);

    public async Task InitializeAsync()
    {
        _lab = new NetnsLab("nsw", "bgplbw");
        _router = new BgpSpeaker.BgpSpeaker(TimeProvider.System);
        _router.Listen(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort),
            family => NetnsLab.InNamespace(_lab.Namespace, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp)));
        await AddRouterPeerAsync();
        await Deploy.InstallCrdsAsync(server);
        await Deploy.InstallRbacAsync(server);
        _admin = server.AdminClient();
        _api = ApiConnection.Open(await ServiceAccounts.TokenKubeconfigAsync(server, _admin, "bgplb-speaker"));
    }

    private Task AddRouterPeerAsync() => _router.AddOrUpdatePeerAsync("daemon",
        new PeerOptions { LocalAsn = RouterAsn, PeerAsn = PeerAsn.Of(OurAsn), RouterId = 0xC6336401, HoldTime = 9 },
        new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.HostV4), PeerEndpoint.BgpPort))
        {
            // Every socket of the router in its namespace: never one in the test process's own.
            LocalAddress = IPAddress.Parse(NetnsLab.PeerV4),
            SocketFactory = family => NetnsLab.InNamespace(_lab.Namespace, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp)),
        }, passive: true, CancellationToken.None);

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_writerRun is not null)
        {
            await _writerRun.WaitAsync(Bound);
        }
        if (_hostRun is not null)
        {
            await _hostRun.WaitAsync(Bound);
        }
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        await _router.DisposeAsync();
        _lab.Dispose();
        try
        {
            await _admin.CustomObjects.DeleteNamespacedCustomObjectAsync("bgplb.io", "v1beta1", SystemNamespace, "nodestates", _node);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // the test deleted it itself
        }
        _api.Dispose();
        _admin.Dispose();
        await _text.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A pool, the router (selects every node), a peer whose nodeSelectors select no node of this config, and the Services.</summary>
    private static string Config(IEnumerable<string> services, string extra = "") => $$"""
        apiVersion: bgplb.io/v1beta1
        kind: IPAddressPool
        metadata: { name: vips }
        spec: { addresses: [198.18.0.0/20] }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata: { name: router }
        spec: { myASN: {{OurAsn}}, peerASN: {{RouterAsn}}, peerAddress: {{NetnsLab.PeerV4}}, routerID: 198.51.100.7, holdTime: 9s }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata: { name: rack-b }
        spec: { myASN: {{OurAsn}}, peerASN: {{RouterAsn}}, peerAddress: 203.0.113.9, nodeSelectors: [{ matchLabels: { rack: b } }] }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPAdvertisement
        metadata: { name: all }
        spec: {}
        ---
        {{extra}}
        {{string.Concat(services.Select(s => $$"""
            apiVersion: v1
            kind: Service
            metadata: { name: {{s}}, namespace: shop }
            spec: { type: LoadBalancer, ports: [{ port: 443 }] }
            ---

            """))}}
        """;

    private async Task StartAsync(IEnumerable<string> services, ApiConnection? writerApi = null, NodeStateOptions? options = null, NodeStateOwner? owner = null)
    {
        await File.WriteAllTextAsync(ConfigPath, Config(services));
        var cache = new ConfigCache();
        var loaded = ConfigLoader.Load(ConfigPath, cache);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics));
        var loggers = new LineLoggerProvider(_sync, json: false, LogLevel.Information, TimeProvider.System);
        _host = new DaemonHost(new RunOptions(ConfigPath, Path.Combine(_folder, "state.json"), _node)
        {
            BgpPort = 0,
            ReloadDebounce = TimeSpan.FromMilliseconds(20),
            SocketFactory = _lab.CreateSocket,
            UdpSocketFactory = family => _lab.CreateSocket(family, SocketType.Dgram, ProtocolType.Udp),
        }, loggers, TimeProvider.System, cache);
        _hostRun = Task.Run(() => _host.RunAsync(loaded.Snapshot!, 0, _stop.Token));
        StartWriter(writerApi ?? _api, options ?? Options, owner);
    }

    /// <summary>A writer for the running host (stopped on its own by <see cref="StopWriterAsync"/>, as a speaker's restart would).</summary>
    private void StartWriter(ApiConnection api, NodeStateOptions options, NodeStateOwner? owner)
    {
        var loggers = new LineLoggerProvider(_sync, json: false, LogLevel.Information, TimeProvider.System);
        _writerStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var stop = _writerStop.Token;
        _writer = new NodeStateWriter(api, SystemNamespace, _node, _host!, loggers.CreateLogger("BgpLb.NodeState"), TimeProvider.System, options, owner);
        _writerRun = Task.Run(() => _writer.RunAsync(stop));
    }

    private async Task StopWriterAsync()
    {
        await _writerStop!.CancelAsync();
        await _writerRun!;
    }

    private async Task<JsonNode?> StoredAsync()
    {
        try
        {
            using var stored = await _api.GetAsync(ObjectPath, CancellationToken.None);
            return JsonNode.Parse(stored.RootElement.GetRawText());
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Waits until the stored NodeState satisfies <paramref name="condition"/>; returns it.</summary>
    private async Task<JsonNode> StoredWhenAsync(Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var stored = await StoredAsync();
            if (stored is not null && condition(stored))
            {
                return stored;
            }
            Assert.True(DateTime.UtcNow < deadline, $"not within {Bound.TotalSeconds} s: {what}; NodeState {_node} is\n{stored}\nlog:\n{Log}");
            await Task.Delay(100);
        }
    }

    private string Log
    {
        get
        {
            lock (_sync)
            {
                return _text.ToString();
            }
        }
    }

    private static JsonNode? Session(JsonNode o, string peer) =>
        o["status"]?["bgpSessions"]?.AsArray().FirstOrDefault(s => s?["peer"]?.GetValue<string>() == peer);

    private static JsonNode? ServiceEntry(JsonNode o, string service) =>
        o["status"]?["services"]?.AsArray().FirstOrDefault(s => s?["service"]?.GetValue<string>() == service);

    private static JsonNode? PeerOf(JsonNode service, string peer) =>
        service["peers"]!.AsArray().FirstOrDefault(p => p?["peer"]?.GetValue<string>() == peer);

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "";

    [Fact]
    public async Task Sessions_show_Established_with_their_prefixes_and_each_Service_says_per_peer_whether_advertised_and_why_not()
    {
        await StartAsync(["web", "dns"]);

        var stored = await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established"
            && Session(o, "router")?["prefixesAdvertised"]?.GetValue<long>() == 2, "the router session Established with 2 prefixes");
        Assert.Equal(_node, Text(stored["spec"]!["nodeName"]));
        var status = stored["status"]!;
        Assert.Equal(1, status["bgpEstablished"]!.GetValue<int>());
        Assert.Equal(1, status["bgpSessionCount"]!.GetValue<int>());
        Assert.Null(Session(stored, "router")!["reason"]);
        Assert.False(string.IsNullOrEmpty(Text(Session(stored, "router")!["since"])));
        Assert.Equal(2, status["servicesTotal"]!.GetValue<int>());
        Assert.Equal(2, status["servicesAdvertised"]!.GetValue<int>());
        foreach (var name in new[] { "shop/web", "shop/dns" })
        {
            var service = ServiceEntry(stored, name);
            Assert.NotNull(service);
            Assert.StartsWith("198.18.0.", Text(service["addresses"]![0]), StringComparison.Ordinal);
            Assert.True(PeerOf(service, "router")!["advertised"]!.GetValue<bool>());
            var excluded = PeerOf(service, "rack-b")!;
            Assert.False(excluded["advertised"]!.GetValue<bool>());
            Assert.Equal($"the BGPPeer's nodeSelectors do not select node {_node}", Text(excluded["reason"]));
        }
        var valid = status["conditions"]!.AsArray().Single(c => Text(c!["type"]) == "Valid")!;
        Assert.Equal("True", Text(valid["status"]));

        // The cut: the router drops the session (and refuses the next ones).
        await _router.RemovePeerAsync("daemon", "test cuts the session", CancellationToken.None);
        stored = await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) is { Length: > 0 } s && s != "Established"
            && PeerOf(ServiceEntry(o, "shop/web")!, "router")?["advertised"]?.GetValue<bool>() == false, "the router session not Established");
        var cut = Session(stored, "router")!;
        Assert.Contains("Cease", Text(cut["reason"]), StringComparison.Ordinal);
        Assert.Equal(0, cut["prefixesAdvertised"]!.GetValue<long>());
        Assert.Equal(0, stored["status"]!["bgpEstablished"]!.GetValue<int>());
        Assert.StartsWith("session down (", Text(PeerOf(ServiceEntry(stored, "shop/web")!, "router")!["reason"]), StringComparison.Ordinal);
        Assert.Equal(0, stored["status"]!["servicesAdvertised"]!.GetValue<int>());
    }

    [Fact]
    public async Task Nothing_is_written_while_nothing_changes_and_a_deleted_object_is_made_again()
    {
        await StartAsync(["web"]);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");
        await Task.Delay(Options.MinInterval + TimeSpan.FromSeconds(1)); // the last write of the start settles
        var version = Text((await StoredAsync())!["metadata"]!["resourceVersion"]);
        var writes = _writer!.Writes;

        // Several polls and read-backs (ResyncInterval 1 s) with nothing changing: no write.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(writes, _writer.Writes);
        Assert.Equal(version, Text((await StoredAsync())!["metadata"]!["resourceVersion"]));

        await _admin.CustomObjects.DeleteNamespacedCustomObjectAsync("bgplb.io", "v1beta1", SystemNamespace, "nodestates", _node);
        var back = await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the NodeState made again with its status");
        Assert.Equal(_node, Text(back["spec"]!["nodeName"]));
        Assert.NotNull(ServiceEntry(back, "shop/web"));
    }

    /// <summary>The speaker's Pod owns the NodeState, so Kubernetes' garbage collector deletes it with the Pod; the next Pod takes it over.</summary>
    [Fact]
    public async Task The_NodeState_is_owned_by_the_speakers_Pod_and_the_next_Pod_takes_it_over()
    {
        static string? OwnerUid(JsonNode o) => o["metadata"]?["ownerReferences"] is JsonArray owners && owners.Count == 1 ? Text(owners[0]?["uid"]) : null;
        await StartAsync(["web"], owner: new NodeStateOwner("bgplb-speaker-aaaaa", "11111111-1111-4111-8111-111111111111"));
        var first = await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");
        var owner = Assert.Single(first["metadata"]!["ownerReferences"]!.AsArray())!;
        Assert.Equal(("v1", "Pod", "bgplb-speaker-aaaaa", "11111111-1111-4111-8111-111111111111"),
            (Text(owner["apiVersion"]), Text(owner["kind"]), Text(owner["name"]), Text(owner["uid"])));

        await StopWriterAsync();
        StartWriter(_api, Options, new NodeStateOwner("bgplb-speaker-bbbbb", "22222222-2222-4222-8222-222222222222"));
        var taken = await StoredWhenAsync(o => OwnerUid(o) == "22222222-2222-4222-8222-222222222222", "the NodeState owned by the new Pod");
        Assert.Equal("Established", Text(Session(taken, "router")?["state"]));
        Assert.Contains("NodeState " + _node + ": now owned by Pod bgplb-speaker-bbbbb", Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_nothing_changes_the_Services_part_is_neither_built_again_nor_written_and_a_change_is_both()
    {
        // Read-backs far apart: between them, only an event of the daemon may make the writer build the Services' lines again.
        await StartAsync(["web"], options: Options with { ResyncInterval = TimeSpan.FromMinutes(10) });
        await StoredWhenAsync(o => ServiceEntry(o, "shop/web") is { } web && PeerOf(web, "router")?["advertised"]?.GetValue<bool>() == true,
            "shop/web advertised to the router");
        await Task.Delay(Options.MinInterval + TimeSpan.FromSeconds(1)); // the last write of the start settles
        var version = Text((await StoredAsync())!["metadata"]!["resourceVersion"]);
        var writes = _writer!.Writes;
        var builds = _writer.ServicesBuilds;

        await Task.Delay(TimeSpan.FromSeconds(3)); // ten polls (PollInterval 300 ms)
        Assert.Equal(builds, _writer.ServicesBuilds);
        Assert.Equal(writes, _writer.Writes);
        Assert.Equal(version, Text((await StoredAsync())!["metadata"]!["resourceVersion"]));

        await File.WriteAllTextAsync(ConfigPath, Config(["web", "dns"]));
        _host!.RequestReload("test: a Service added", immediate: true);
        var stored = await StoredWhenAsync(o => ServiceEntry(o, "shop/dns") is not null, "shop/dns in the status");
        Assert.Equal(2, stored["status"]!["servicesTotal"]!.GetValue<int>());
        Assert.True(_writer.ServicesBuilds > builds, $"{_writer.ServicesBuilds} builds of the Services' part, as many as before the change");
        Assert.True(_writer.Writes > writes, $"{_writer.Writes} writes, as many as before the change");
        Assert.Equal("Established", Text(Session(stored, "router")!["state"]));
    }

    [Fact]
    public async Task A_burst_of_50_changes_is_a_bounded_number_of_writes_ending_with_the_newest_state()
    {
        await StartAsync(["s0"]);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");
        var store = new ResourceStore(NodeStateWriter.Type);
        var versions = new HashSet<string>(StringComparer.Ordinal);
        // Stored, not Changed: a store does not count a change of a bgplb.io object's status alone as a change.
        store.Stored += o =>
        {
            if (o.Name == _node)
            {
                lock (versions)
                {
                    versions.Add(o.ResourceVersion);
                }
            }
        };
        using var watching = new CancellationTokenSource();
        using var watchApi = ApiConnection.Open(server.KubeconfigPath);
        var watch = new ResourceWatch(watchApi, store,
            new WatchOptions(), NullLogger.Instance, TimeProvider.System, SystemNamespace).RunAsync(watching.Token);
        await Eventually.True(() => store.Synced, Bound, "the NodeState watch listed");
        lock (versions)
        {
            versions.Clear(); // the list's version is the baseline, not a write
        }

        var started = DateTime.UtcNow;
        for (var i = 1; i <= 50; i++)
        {
            await File.WriteAllTextAsync(ConfigPath, Config(Enumerable.Range(0, i + 1).Select(n => "s" + n)));
            _host!.RequestReload("test change " + i, immediate: true);
            await Task.Delay(40);
        }
        var burst = DateTime.UtcNow - started;
        var stored = await StoredWhenAsync(o => o["status"]?["servicesTotal"]?.GetValue<int>() == 51
            && o["status"]?["servicesAdvertised"]?.GetValue<int>() == 51, "all 51 Services in the status");
        await Task.Delay(Options.MinInterval + TimeSpan.FromSeconds(1));
        var total = DateTime.UtcNow - started;
        await watching.CancelAsync();
        await watch.WaitAsync(Bound);

        int writes;
        lock (versions)
        {
            writes = versions.Count;
        }
        // At most one write per window from the burst's start to the end of the watch (the last one at a window's end), one of slack for the edges.
        var limit = (int)Math.Ceiling(total.TotalSeconds / Options.MinInterval.TotalSeconds) + 1;
        output.WriteLine($"{writes} writes for 50 changes over {burst.TotalSeconds:0.0} s (limit {limit} in {total.TotalSeconds:0.0} s); writer counted {_writer!.Writes} since start");
        Assert.True(writes >= 1 && writes <= limit, $"{writes} resourceVersions of NodeState {_node} for 50 changes over {burst.TotalSeconds:0.0} s (at most {limit})");
        Assert.True(writes < 50, $"{writes} writes for 50 changes: not rate-limited");
        Assert.Equal(51, stored["status"]!["services"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_rejected_reload_makes_Valid_False_with_the_loaders_error_and_the_last_good_config_stays()
    {
        await StartAsync(["web"]);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");

        await File.WriteAllTextAsync(ConfigPath, Config(["web"], """
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: broken }
            spec: { addresses: [198.18.0.9-198.18.0.1] }
            ---
            """));
        _host!.RequestReload("test: a bad edit", immediate: true);
        var stored = await StoredWhenAsync(o => o["status"]?["conditions"]?.AsArray().Any(c => Text(c!["type"]) == "Valid" && Text(c["status"]) == "False") == true,
            "Valid False");
        var valid = stored["status"]!["conditions"]!.AsArray().Single(c => Text(c!["type"]) == "Valid")!;
        Assert.Equal(NodeStateStatus.ReasonKeptLastGood, Text(valid["reason"]));
        Assert.Contains("broken", Text(valid["message"]), StringComparison.Ordinal);
        Assert.Contains("the last good configuration stays in force", Text(valid["message"]), StringComparison.Ordinal);
        Assert.Equal("Established", Text(Session(stored, "router")!["state"]));
        Assert.NotNull(ServiceEntry(stored, "shop/web"));
    }

    [Fact]
    public async Task Ten_thousand_Services_are_bounded_to_the_list_cap_and_the_server_accepts_the_status()
    {
        await StartAsync(["web"]);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");
        // The writer's own status of 10,000 Services, built by the same code, written by the speaker's account:
        // the schema takes it (nothing pruned) and the object is well under etcd's 1.5 MiB.
        var status = NodeStateStatusTests.Build(NodeStateStatusTests.ManyVips(10_000), new NodeStateOptions());
        using var answer = await _api.MergePatchAsync(ObjectPath + "/status", new JsonObject { ["status"] = status }.ToJsonString(), CancellationToken.None);
        var back = JsonNode.Parse(answer.RootElement.GetProperty("status").GetRawText())!;
        foreach (var (name, member) in status)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(member!.ToJsonString()), back[name]), $"the server pruned or changed status.{name}");
        }
        var size = answer.RootElement.GetRawText().Length;
        output.WriteLine($"NodeState of 10,000 Services: {size} bytes, {back["services"]!.AsArray().Count} entries listed");
        Assert.True(size < 1024 * 1024, $"the object is {size} bytes");
    }

    [Fact]
    public async Task An_object_the_cluster_build_refuses_makes_Valid_False_naming_it_and_its_field_until_it_is_mended()
    {
        await StartAsync(["web"]);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");

        // What bgplb speaker does after each build of the watched objects: the loader refuses a backwards range.
        var pools = new ResourceStore(ResourceType.IpAddressPools);
        var configuration = new ClusterConfiguration();
        pools.Replace([Pool("good", "198.18.64.0/24")]);
        Assert.NotNull(configuration.Build([pools]).Snapshot);
        pools.Upsert(Pool("backwards", "198.18.65.9-198.18.65.1"));
        var refused = configuration.Build([pools]);
        Assert.Single(refused.Refused);
        _writer!.Report(refused);
        var stored = await StoredWhenAsync(o => ValidOf(o) is { } v && Text(v["status"]) == "False", "Valid False");
        var valid = ValidOf(stored)!;
        Assert.Equal(NodeStateStatus.ReasonRefused, Text(valid["reason"]));
        Assert.Contains("IPAddressPool bgplb-system/backwards: spec.addresses[0]:", Text(valid["message"]), StringComparison.Ordinal);
        Assert.Contains("last good versions stay in force", Text(valid["message"]), StringComparison.Ordinal);

        pools.Upsert(Pool("backwards", "198.18.65.1-198.18.65.9", version: 2));
        var mended = configuration.Build([pools]);
        Assert.True(mended.Refused.IsEmpty, string.Join("\n", mended.Diagnostics));
        _writer.Report(mended);
        stored = await StoredWhenAsync(o => ValidOf(o) is { } v && Text(v["status"]) == "True", "Valid True again");
        Assert.Equal(NodeStateStatus.ReasonAccepted, Text(ValidOf(stored)!["reason"]));
    }

    [Fact]
    public async Task With_the_API_server_away_the_writer_retries_and_on_its_return_writes_the_newest_state()
    {
        // The writer reaches the server through a relay that the test stops: the server is away for it alone.
        var origin = new Uri(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath).Host);
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Parse(origin.Host), origin.Port));
        relay.Start();
        using var viaRelay = ApiConnection.Open(await ServiceAccounts.TokenKubeconfigAsync(server, _admin, "bgplb-speaker", $"https://{origin.Host}:{relay.Port}"));
        await StartAsync(["web"], viaRelay);
        await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) == "Established", "the router session Established");

        await relay.StopAsync();
        await _router.RemovePeerAsync("daemon", "test cuts the session", CancellationToken.None);
        await Eventually.True(() => Log.Contains("[NodeStateFailed]", StringComparison.Ordinal), Bound, "the writer saw the server away:\n" + Log);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a few failed tries
        Assert.Equal("Established", Text(Session((await StoredAsync())!, "router")!["state"])); // nothing reached the server

        relay.Start();
        var stored = await StoredWhenAsync(o => Text(Session(o, "router")?["state"]) is { Length: > 0 } s && s != "Established",
            "the cut written once the server is back");
        Assert.Contains("Cease", Text(Session(stored, "router")!["reason"]), StringComparison.Ordinal);
    }

    private static JsonNode? ValidOf(JsonNode o) =>
        o["status"]?["conditions"]?.AsArray().FirstOrDefault(c => Text(c!["type"]) == Conditions.Valid);

    private static ClusterObject Pool(string name, string addresses, int version = 1)
    {
        using var document = System.Text.Json.JsonDocument.Parse($$$"""
            {"apiVersion":"bgplb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"{{{name}}}","namespace":"{{{SystemNamespace}}}","resourceVersion":"{{{version}}}","uid":"{{{name}}}"},"spec":{"addresses":["{{{addresses}}}"]}}
            """);
        return ClusterObject.From(ResourceType.IpAddressPools, document.RootElement);
    }
}
