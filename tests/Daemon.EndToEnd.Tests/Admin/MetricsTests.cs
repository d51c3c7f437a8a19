using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) scrapes the daemon in its namespace and its
/// HTTP API answers <c>bgplb_bgp_session_up == 1</c> for the peer; the standard gRPC health and
/// reflection services answer on the admin socket.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class MetricsTests(ITestOutputHelper output)
{
    private const string Metrics = "127.0.0.1:7472";
    private const string PrometheusAddress = "127.0.0.1:9090";

    [Fact]
    public void Prometheus_scrapes_the_daemon_and_its_api_returns_session_up_1_for_the_peer()
    {
        Require.Binaries("prometheus", "prometheus");
        Require.Binaries("curl", "curl");
        using var admin = AdminLab.Start("prom", "--metrics-address", Metrics);
        var (lab, daemon) = (admin.Lab, admin.Daemon);
        var config = Path.Combine(lab.Dir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: bgplb
                static_configs:
                  - targets: ["{Metrics}"]
            """);
        var log = Path.Combine(lab.Dir, "prometheus.log");
        // exec all the way down: the process is Prometheus itself, killed below; its log goes to a file.
        var info = new ProcessStartInfo("sh");
        foreach (var argument in (string[])["-c", $"exec ip netns exec {lab.NodeNamespace} prometheus --config.file {config} --storage.tsdb.path {Path.Combine(lab.Dir, "tsdb")} --web.listen-address {PrometheusAddress} >{log} 2>&1"])
        {
            info.ArgumentList.Add(argument);
        }
        using var prometheus = Process.Start(info)!;
        try
        {
            var name = admin.PeerName();
            JsonElement result = default;
            var answered = NetnsLab.WaitUntil(() =>
            {
                var (code, body) = NetnsLab.Run($"ip netns exec {lab.NodeNamespace} curl -sf 'http://{PrometheusAddress}/api/v1/query?query=bgplb_bgp_session_up%3D%3D1'");
                if (code != 0)
                {
                    return false;
                }
                using var json = JsonDocument.Parse(body);
                result = json.RootElement.GetProperty("data").GetProperty("result").Clone();
                return result.GetArrayLength() > 0;
            }, AdminLab.Bound, pollMilliseconds: 500);
            Assert.True(answered, $"Prometheus never returned bgplb_bgp_session_up == 1\n{Scrape(lab)}\n{daemon.Output()}");
            Assert.Equal(1, result.GetArrayLength());
            Assert.Equal(name, result[0].GetProperty("metric").GetProperty("peer").GetString());
            Assert.Equal("1", result[0].GetProperty("value")[1].GetString());

            // The rest of the exposition, as the daemon serves it.
            var scrape = Scrape(lab);
            output.WriteLine(scrape);
            Assert.Contains("bgplb_allocator_addresses_in_use_total{pool=\"vips\",family=\"IPv4\"} 2", scrape, StringComparison.Ordinal);
            Assert.Contains("bgplb_allocator_addresses_total{pool=\"vips\",family=\"IPv4\"} 254", scrape, StringComparison.Ordinal);
            Assert.Contains($"bgplb_bgp_session_state{{peer=\"{name}\"}} 6", scrape, StringComparison.Ordinal);
            Assert.Contains($"bgplb_bgp_announced_prefixes{{peer=\"{name}\"}} 2", scrape, StringComparison.Ordinal);
            Assert.Contains("bgplb_config_last_reload_successful 1", scrape, StringComparison.Ordinal);
            Assert.Contains("bgplb_node_drained 0", scrape, StringComparison.Ordinal);

            // A Service asking for an address in no pool: its failure is counted by reason.
            lab.WriteConfig(AdminLab.Config(new("web"), new("dns"), new("stray", "198.19.200.1")).ToString());
            Assert.Equal(0, CtlProcess.At(lab, "reload").Code);
            var failures = Scrape(lab).Split('\n').Where(l => l.StartsWith("bgplb_allocator_allocation_failures_total{", StringComparison.Ordinal)).ToList();
            Assert.True(failures.Count == 1 && failures[0].EndsWith(" 1", StringComparison.Ordinal), string.Join('\n', failures) + "\n" + Scrape(lab));
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            prometheus.WaitForExit(TimeSpan.FromSeconds(10));
            output.WriteLine(File.Exists(log) ? File.ReadAllText(log) : "(no prometheus log)");
            output.WriteLine(daemon.Output());
        }
    }

    private static string Scrape(EndToEndLab lab) => NetnsLab.Run($"ip netns exec {lab.NodeNamespace} curl -s http://{Metrics}/metrics").Output;

    [Fact]
    public async Task The_standard_health_and_reflection_services_answer_on_the_admin_socket()
    {
        using var lab = new EndToEndLab("health", AdminLab.Prefix);
        lab.WriteConfig(AdminLab.Config().ToString());
        using var daemon = lab.StartDaemon("--bgp-port", "0");
        try
        {
            AdminLab.AwaitSocket(lab, daemon);
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(lab.AdminSocket), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
            // Serving once the first config is applied (the checks are published every 2 s).
            var client = new Health.HealthClient(channel);
            var status = HealthCheckResponse.Types.ServingStatus.Unknown;
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < AdminLab.Bound && status != HealthCheckResponse.Types.ServingStatus.Serving; await Task.Delay(200))
            {
                status = (await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(30))).Status;
            }
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, status);

            using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
            await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await reflection.RequestStream.CompleteAsync();
            Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
            var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
            Assert.Contains("bgplb.admin.v1.Admin", services);
            Assert.Contains("grpc.health.v1.Health", services);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }
}
