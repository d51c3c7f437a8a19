using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Tests.Runtime;

/// <summary>
/// The daemon's control loop in process, against a second speaker of ours playing the router: the
/// daemon's sockets in one network namespace, the router's in another (loopback would not do: a
/// 127/8 next hop is rightly refused), and what the router holds (its Adj-RIB-In) is what the
/// daemon announced. Needs root. The end-to-end tests with BIRD and FRR run the daemon as a process.
/// </summary>
public sealed class DaemonHostTests : IAsyncLifetime, IAsyncDisposable
{
    private const uint OurAsn = 4200000001;
    private const uint RouterAsn = 64512;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _folder = Directory.CreateTempSubdirectory("bgplb-host-").FullName;
    private readonly StringWriter _text = new();
    private readonly TextWriter _log;
    private readonly NetnsLab _lab = new("host", "bgplbd");
    private BgpSpeaker.BgpSpeaker _router = null!;

    public DaemonHostTests() => _log = TextWriter.Synchronized(_text);

    /// <summary>The log so far (the synchronized writer locks itself for every write, so reading under that lock sees whole lines).</summary>
    private string LogText
    {
        get
        {
            lock (_log)
            {
                return _text.ToString();
            }
        }
    }

    private string ConfigPath => Path.Combine(_folder, "config.yaml");

    private string StatePath => Path.Combine(_folder, "state", "state.json");

    public async Task InitializeAsync()
    {
        _router = new BgpSpeaker.BgpSpeaker(TimeProvider.System, loggers: new LineLoggerProvider(_log, json: false, LogLevel.Debug, TimeProvider.System));
        _router.Listen(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort),
            family => NetnsLab.InNamespace(_lab.Namespace, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp)));
        var options = new PeerOptions { LocalAsn = RouterAsn, PeerAsn = PeerAsn.Of(OurAsn), RouterId = 0xC6336401, HoldTime = 9, GracefulRestartTime = 120 };
        await _router.AddOrUpdatePeerAsync("daemon", options, new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.HostV4), PeerEndpoint.BgpPort))
        {
            // Every socket of the router in its namespace: never one in the test process's own.
            LocalAddress = IPAddress.Parse(NetnsLab.PeerV4),
            SocketFactory = family => NetnsLab.InNamespace(_lab.Namespace, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp)),
        }, passive: true, CancellationToken.None);
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _router.DisposeAsync();
        await _log.DisposeAsync();
        await _text.DisposeAsync();
        _lab.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string Config(params string[] services) => ConfigWithPeer("", services);

    private static string ConfigWithPeer(string peerExtra, params string[] services) => $$"""
        apiVersion: bgplb.io/v1beta1
        kind: IPAddressPool
        metadata: { name: vips }
        spec: { addresses: [198.18.0.0/24] }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata: { name: router }
        spec: { myASN: {{OurAsn}}, peerASN: {{RouterAsn}}, peerAddress: {{NetnsLab.PeerV4}}, routerID: 198.51.100.7, holdTime: 9s, enableGracefulRestart: true{{peerExtra}} }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPAdvertisement
        metadata: { name: all }
        spec: { communities: ["64512:7"] }
        ---
        {{string.Concat(services.Select(s => $$"""
            apiVersion: v1
            kind: Service
            metadata: { name: {{s}}, namespace: shop }
            spec: { type: LoadBalancer, ports: [{ port: 443 }] }
            ---

            """))}}
        """;

    private sealed class Running(DaemonHost host, Task run, CancellationTokenSource stop) : IAsyncDisposable
    {
        public DaemonHost Host => host;

        public async Task StopAsync()
        {
            await stop.CancelAsync();
            await run.WaitAsync(Bound);
        }

        public async ValueTask DisposeAsync()
        {
            if (!run.IsCompleted)
            {
                await StopAsync();
            }
            await host.DisposeAsync();
            stop.Dispose();
        }
    }

    private Running Start(string config)
    {
        File.WriteAllText(ConfigPath, config);
        return StartOn(ConfigPath);
    }

    /// <summary>As <c>bgplb run</c> does: the first load through the cache the host then reloads with.</summary>
    private Running StartOn(string path)
    {
        var cache = new ConfigCache();
        var loaded = ConfigLoader.Load(path, cache);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics));
        var loggers = new LineLoggerProvider(_log, json: false, LogLevel.Information, TimeProvider.System);
        var host = new DaemonHost(new RunOptions(path, StatePath, "node-1") {
            BgpPort = 0,
            ReloadDebounce = TimeSpan.FromMilliseconds(50),
            SocketFactory = _lab.CreateSocket,
            UdpSocketFactory = family => _lab.CreateSocket(family, SocketType.Dgram, ProtocolType.Udp),
            BfdWorkerCommand = BfdWorker.WorkerProcess.CommandIn(_lab.HostNamespace),
        }, loggers, TimeProvider.System, cache);
        var stop = new CancellationTokenSource();
        return new Running(host, Task.Run(() => host.RunAsync(loaded.Snapshot!, 0, stop.Token)), stop);
    }

    private async Task<IReadOnlyList<ReceivedRoute>> RoutesAtRouterAsync(Func<IReadOnlyList<ReceivedRoute>, bool> until)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var routes = await _router.GetReceivedRoutesAsync("daemon", CancellationToken.None);
            if (until(routes))
            {
                return routes;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the router holds {routes.Count} routes after {Bound}: {string.Join(", ", routes.Select(r => r.Nlri.Prefix))}\nlog:\n{LogText}");
            await Task.Delay(20);
        }
    }

    private async Task LogLineAsync(string text, int occurrence = 1)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (Count(LogText, text) < occurrence)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no \"{text}\" (#{occurrence}) in the log after {Bound}:\n{LogText}");
            await Task.Delay(20);
        }
    }

    private static int Count(string haystack, string needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static string[] Prefixes(IReadOnlyList<ReceivedRoute> routes) => [.. routes.Select(r => r.Nlri.Prefix.ToString()).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Vips_reach_the_router_with_the_advertisements_attributes()
    {
        await using var daemon = Start(Config("web", "dns", "api"));
        var routes = await RoutesAtRouterAsync(r => r.Count == 3);
        Assert.Equal(["198.18.0.0/32", "198.18.0.1/32", "198.18.0.2/32"], Prefixes(routes));
        Assert.All(routes, r =>
        {
            Assert.Equal(IPAddress.Parse(NetnsLab.HostV4), r.NextHop);
            Assert.Equal(AsPath.Sequence(OurAsn), r.Attributes.AsPath);
            Assert.Equal([new Community((64512u << 16) | 7)], r.Attributes.Communities.ToArray());
        });
    }

    [Fact]
    public async Task Edits_apply_an_invalid_edit_is_rejected_and_every_route_stays()
    {
        await using var daemon = Start(Config("web", "dns"));
        await RoutesAtRouterAsync(r => r.Count == 2);

        File.WriteAllText(ConfigPath, Config("web", "dns", "api"));
        Assert.Equal(["198.18.0.0/32", "198.18.0.1/32", "198.18.0.2/32"], Prefixes(await RoutesAtRouterAsync(r => r.Count == 3)));

        File.WriteAllText(ConfigPath, Config("web", "dns", "api").Replace("198.18.0.0/24", "198.18.0.300/24", StringComparison.Ordinal));
        await LogLineAsync("[ConfigRejected]");
        Assert.Contains("spec.addresses[0]", LogText, StringComparison.Ordinal); // the error names the field
        Assert.Equal(3, (await RoutesAtRouterAsync(_ => true)).Count);
        Assert.Equal(3, daemon.Host.Current!.Services.Length); // the last good config still runs

        File.WriteAllText(ConfigPath, Config("web", "api"));
        var routes = await RoutesAtRouterAsync(r => r.Count == 2);
        Assert.Equal(["198.18.0.0/32", "198.18.0.2/32"], Prefixes(routes)); // dns withdrawn; api keeps its VIP
    }

    private static string Services(params string[] names) => string.Concat(names.Select(s => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: {{s}}, namespace: shop }
        spec: { type: LoadBalancer, ports: [{ port: 443 }] }
        ---

        """));

    [Fact]
    public async Task Service_files_added_and_removed_change_their_routes_alone_and_are_journaled_not_rewritten()
    {
        var folder = Path.Combine(_folder, "config");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a-bgp.yaml"), Config());
        File.WriteAllText(Path.Combine(folder, "b-services.yaml"), Services("web", "dns"));
        var journal = StatePath + ".journal";
        await using (var daemon = StartOn(folder))
        {
            Assert.Equal(["198.18.0.0/32", "198.18.0.1/32"], Prefixes(await RoutesAtRouterAsync(r => r.Count == 2)));
            var snapshot = File.ReadAllText(StatePath);

            File.WriteAllText(Path.Combine(folder, "c-api.yaml"), Services("api"));
            Assert.Equal(["198.18.0.0/32", "198.18.0.1/32", "198.18.0.2/32"], Prefixes(await RoutesAtRouterAsync(r => r.Count == 3)));
            Assert.Equal(snapshot, File.ReadAllText(StatePath)); // one line in the journal instead
            Assert.Contains("\"service\":\"shop/api\",\"pool\":\"vips\",\"addresses\":[\"198.18.0.2\"]", File.ReadAllText(journal), StringComparison.Ordinal);

            File.Delete(Path.Combine(folder, "b-services.yaml"));
            Assert.Equal(["198.18.0.2/32"], Prefixes(await RoutesAtRouterAsync(r => r.Count == 1)));
            Assert.Contains("\"service\":\"shop/web\"", File.ReadAllText(journal), StringComparison.Ordinal);
            await daemon.StopAsync();
        }

        // The next run reads the snapshot (web .0, dns .1) and the journal (api .2, web and dns gone): api
        // keeps .2, and a new Service takes the free .0. From the snapshot alone, api would have taken .0.
        // Read from the state the daemon keeps, not from the router: our router, passive, takes a few
        // seconds after the Cease before it accepts a session again (its idle hold, RFC 4271 §8.2.1.3).
        await using var next = StartOn(folder);
        await LogLineAsync("restarting with 1 saved assignments");
        File.WriteAllText(Path.Combine(folder, "d-new.yaml"), Services("new"));
        await LogLineAsync("2 Services, 2 VIPs", occurrence: 2); // the first was the first run's start
        var saved = new StateFile(StatePath).Read()!.Value.ToDictionary(a => a.Service.ToString(), a => a.Addresses[0].ToString());
        Assert.Equal(new Dictionary<string, string> { ["shop/api"] = "198.18.0.2", ["shop/new"] = "198.18.0.0" }, saved);
    }

    [Fact]
    public async Task Sighup_style_reload_requests_are_applied_too()
    {
        await using var daemon = Start(Config("web"));
        await RoutesAtRouterAsync(r => r.Count == 1);
        // A reload of an unchanged config changes nothing at the router and says it applied.
        daemon.Host.RequestReload("SIGHUP", immediate: true);
        await LogLineAsync("config applied (SIGHUP)");
        Assert.Single(await RoutesAtRouterAsync(_ => true));
    }

    [Fact]
    public async Task A_restart_with_the_state_file_keeps_every_vip_even_when_allocation_order_changed()
    {
        await using (var first = Start(Config("web", "dns", "api")))
        {
            await RoutesAtRouterAsync(r => r.Count == 3);
            Assert.True(File.Exists(StatePath));
            await first.StopAsync();
        }
        var before = JsonDocument.Parse(File.ReadAllText(StatePath)).RootElement.GetProperty("assignments").EnumerateArray()
            .ToDictionary(a => a.GetProperty("service").GetString()!, a => a.GetProperty("addresses")[0].GetString()!);
        Assert.Equal(3, before.Count);

        // A new Service listed first would take 198.18.0.0 on a fresh start; with the state, the old ones keep theirs.
        await using var second = Start(Config("aaa", "api", "dns", "web"));
        var routes = await RoutesAtRouterAsync(r => r.Count == 4);
        foreach (var (service, address) in before)
        {
            Assert.Equal(address, AddressOf(service));
        }
        Assert.Equal("198.18.0.3", AddressOf("shop/aaa"));
        Assert.Contains("restarting with 3 saved assignments", LogText, StringComparison.Ordinal);
        Assert.Equal(4, routes.Count);

        string AddressOf(string service) =>
            JsonDocument.Parse(File.ReadAllText(StatePath)).RootElement.GetProperty("assignments").EnumerateArray()
                .Single(a => a.GetProperty("service").GetString() == service).GetProperty("addresses")[0].GetString()!;
    }

    [Fact]
    public async Task Stopping_sends_an_administrative_shutdown_with_our_message()
    {
        await using var daemon = Start(Config("web"));
        await RoutesAtRouterAsync(r => r.Count == 1);
        await daemon.StopAsync();
        var deadline = DateTime.UtcNow + Bound;
        while (_router.Peers.Single().LastDown is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the router saw no session end");
            await Task.Delay(20);
        }
        var notification = _router.Peers.Single().LastDown!.Notification!;
        Assert.Equal((byte)CeaseSubcode.AdministrativeShutdown, notification.Subcode);
        Assert.True(notification.TryGetShutdownCommunication(out var text));
        Assert.Equal(DaemonHost.ShutdownCommunication, text);
    }

    [Fact]
    public async Task A_state_file_that_cannot_be_read_stops_the_start_rather_than_moving_vips()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, "{ not json");
        await using var daemon = Start(Config("web"));
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await daemon.StopAsync());
        Assert.Contains(StatePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bfd_failure_drops_the_bgp_session_and_holds_it_until_bfd_is_up_again()
    {
        // The router runs our BFD too, in its namespace, at 300 ms x 3. This test is about the coupling,
        // not timing: the "router" lives in the test host, whose collections (other test classes run in
        // parallel) stopped its BFD for more than 150 ms in CI and flapped a 50 ms x 3 session before the
        // cut. Detection times are the bench's and BfdTests' (end to end, the router a real BIRD / bfdd).
        await using var routerBfd = new BfdSession.BfdSessions(new BfdSession.BfdSessionsOptions
        {
            SocketFactory = family => NetnsLab.InNamespace(_lab.Namespace, () => new Socket(family, SocketType.Dgram, ProtocolType.Udp)),
        });
        var fast = new BfdSession.BfdProfile { ReceiveInterval = TimeSpan.FromMilliseconds(300), TransmitInterval = TimeSpan.FromMilliseconds(300) };
        var toDaemon = new BfdSession.BfdPeer(IPAddress.Parse(NetnsLab.HostV4), IPAddress.Parse(NetnsLab.PeerV4));
        routerBfd.AddOrUpdate(toDaemon, fast);
        var profile = """
            apiVersion: bgplb.io/v1beta1
            kind: BFDProfile
            metadata: { name: fast }
            spec: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 }
            ---

            """;
        await using var daemon = Start(ConfigWithPeer(", bfdProfile: fast", "web") + profile);
        await RoutesAtRouterAsync(r => r.Count == 1);
        await LogLineAsync("[BfdUp]");

        Assert.Equal(0, Count(LogText, "[BfdDown]"));
        // A silent cut of BFD alone (the router's BFD packets dropped on arrival), so only BFD can tell.
        _lab.Ns("nft add table inet bfdcut");
        _lab.Ns("nft add chain inet bfdcut in { type filter hook input priority 0 \\; policy accept \\; }");
        _lab.Ns("nft add rule inet bfdcut in udp dport 3784 drop");
        await LogLineAsync("[BfdDown]");
        Assert.Contains("ControlDetectionTimeExpired", LogText, StringComparison.Ordinal);
        // RFC 8538 is negotiated (both sides set N), so the Cease / BFD Down travels inside a Hard Reset: the router drops our routes.
        await LogLineAsync("sent NOTIFICATION Cease/HardReset data 060A");
        Assert.Empty(await RoutesAtRouterAsync(r => r.Count == 0));
        // Held: no reconnect while BFD is down, though the router would accept one.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(BgpSpeaker.Fsm.BgpState.Idle, daemon.Host.Speaker.Peers.Single().State);

        _lab.Ns("nft delete table inet bfdcut");
        await LogLineAsync("[BfdUp]", occurrence: 2);
        Assert.Single(await RoutesAtRouterAsync(r => r.Count == 1));

        // The router deconfiguring its BFD session (AdminDown) is no failure: BGP stays up (RFC 5882 §4.1).
        await routerBfd.RemoveAsync(toDaemon, CancellationToken.None);
        await LogLineAsync("[BfdAdminDown]");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(BgpSpeaker.Fsm.BgpState.Established, daemon.Host.Speaker.Peers.Single().State);
    }
}
