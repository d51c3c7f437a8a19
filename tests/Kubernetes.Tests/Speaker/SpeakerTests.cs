using BgpLb.Kubernetes.Tests.Support;
using k8s;
using Xunit.Abstractions;

namespace BgpLb.Kubernetes.Tests.Speaker;

/// <summary>
/// <c>bgplb speaker</c> as real processes in node network namespaces against the real API server, as the
/// bgplb-speaker ServiceAccount, announcing to a real BIRD: what BIRD holds is read from BIRD. The tests write
/// the Services' status themselves (the controller's part, tested in ControllerTests).
/// </summary>
[Collection(ApiServerGroup.Name)]
public sealed class SpeakerTests(ApiServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_Service_with_an_address_in_status_is_announced_and_withdrawn_when_deleted()
    {
        await using var lab = await SpeakerLab.StartAsync(server, "svc", "198.18.20.0/28");
        await lab.SpeakerAsync(0);
        await lab.CreateServiceAsync("web");
        await lab.CreateServiceAsync("other");
        await lab.SetIngressAsync("web", "198.18.20.1");
        // An address in no pool of the speaker's namespace is not announced.
        await lab.SetIngressAsync("other", "198.18.99.1");

        await lab.HoldsAsync(["198.18.20.1/32"], "after the Service's status named its address");
        // bgplbctl works against a speaker, and says why the stray address is not announced.
        var vips = lab.Ctl(0, "vips").GetProperty("vips").EnumerateArray().ToDictionary(v => v.GetProperty("service").GetString()!);
        var web = vips[lab.Namespace + "/web"];
        Assert.Equal("pool", web.GetProperty("pool").GetString());
        Assert.True(web.GetProperty("peers")[0].GetProperty("advertised").GetBoolean(), web.ToString());
        var other = vips[lab.Namespace + "/other"];
        Assert.Equal("198.18.99.1", other.GetProperty("addresses")[0].GetString());
        Assert.StartsWith("status address not announced: ", other.GetProperty("notAnnounced").GetString(), StringComparison.Ordinal);
        output.WriteLine(other.ToString());

        // A BGPPeer the loader refuses (a check across objects, which the CRD cannot make): an Event naming the
        // field, and the rest of the configuration stays in force.
        await lab.CreateAsync("bgppeers", "BGPPeer", "bad", new Dictionary<string, object>
        {
            ["myASN"] = SpeakerLab.NodeAsn, ["peerASN"] = SpeakerLab.RouterAsn, ["peerAddress"] = "203.0.113.9", ["bfdProfile"] = "missing",
        });
        string? message = null;
        await Eventually.True(async () => (message = (await lab.EventsAsync("bad", "InvalidConfiguration")).FirstOrDefault()?.Message) is not null,
            SpeakerLab.Bound, "an InvalidConfiguration Event on BGPPeer bad\n" + lab.Diagnostics());
        Assert.StartsWith("spec.bfdProfile: BFDProfile \"missing\" does not exist", message, StringComparison.Ordinal);
        Assert.True(lab.Prefixes().SetEquals(["198.18.20.1/32"]), lab.Diagnostics());

        // The speaker's NodeState says the session is Established.
        await Eventually.True(async () =>
        {
            try
            {
                var state = (System.Text.Json.JsonElement)await lab.Admin.CustomObjects.GetNamespacedCustomObjectAsync("bgplb.io", "v1beta1", lab.Namespace, "nodestates", lab.Nodes[0]);
                return state.GetRawText().Contains("Established", StringComparison.Ordinal);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return false;
            }
        }, SpeakerLab.Bound, "the speaker's NodeState with its Established session\n" + lab.Diagnostics());

        await lab.DeleteServiceAsync("web");
        await lab.HoldsAsync([], "after the Service was deleted");
        // Further applies (the delete's) do not repeat the finding.
        Assert.Single(await lab.EventsAsync("bad", "InvalidConfiguration"));
        output.WriteLine(lab.Diagnostics());
    }

    [Fact]
    public async Task A_node_labelled_exclude_from_external_load_balancers_withdraws_and_announces_again_when_unlabelled()
    {
        const string Exclude = "node.kubernetes.io/exclude-from-external-load-balancers";
        await using var lab = await SpeakerLab.StartAsync(server, "excl", "198.18.21.0/28");
        await lab.SpeakerAsync(0);
        await lab.CreateServiceAsync("web");
        await lab.SetIngressAsync("web", "198.18.21.1");
        await lab.HoldsAsync(["198.18.21.1/32"], "before the label");

        await lab.LabelNodeAsync(0, Exclude, "true");
        await lab.HoldsAsync([], "with the node labelled " + Exclude);
        Assert.True(lab.Established(0), "the session stays up: only the routes go\n" + lab.Diagnostics());
        await lab.LabelNodeAsync(0, Exclude, null);
        await lab.HoldsAsync(["198.18.21.1/32"], "with the label removed");
    }

    /// <summary>Issue 10: the speaker watches the Nodes' Ready condition (docs/configuration.md, the nodes).</summary>
    [Fact]
    public async Task A_node_whose_kubelet_says_Ready_False_withdraws_but_not_for_Unknown_nor_when_no_node_is_ready()
    {
        await using var lab = await SpeakerLab.StartAsync(server, "ready", "198.18.23.0/28", nodes: 2);
        await lab.SpeakerAsync(0);
        await lab.CreateServiceAsync("web");
        await lab.SetIngressAsync("web", "198.18.23.1");
        await lab.HoldsAsync(["198.18.23.1/32"], "with both nodes Ready");

        await lab.SetReadyAsync(0, "False", "KubeletNotReady");
        await lab.HoldsAsync([], "with node 0 Ready False");
        Assert.True(lab.Established(0), "the session stays up: only the routes go\n" + lab.Diagnostics());
        await lab.SetReadyAsync(1, "False", "KubeletNotReady");
        await lab.HoldsAsync(["198.18.23.1/32"], "with no node ready (Ready is then not followed)");
        await lab.SetReadyAsync(1, "True", "KubeletReady");
        await lab.HoldsAsync([], "with node 1 ready again and node 0 still Ready False");
        await lab.SetReadyAsync(0, "Unknown", "NodeStatusUnknown");
        await lab.HoldsAsync(["198.18.23.1/32"], "with node 0 Ready Unknown (the kubelet silent, not saying it is unwell)");
    }

    [Fact]
    public async Task A_Local_Service_is_announced_by_the_node_of_its_ready_endpoint_and_moves_with_it()
    {
        await using var lab = await SpeakerLab.StartAsync(server, "local", "198.18.22.0/28", nodes: 2);
        await lab.SpeakerAsync(0);
        await lab.SpeakerAsync(1);
        await lab.CreateServiceAsync("web", local: true);
        await lab.EndpointOnAsync("web", 0);
        await lab.SetIngressAsync("web", "198.18.22.1");

        await lab.HoldsAsync(["198.18.22.1/32"], "with the endpoint on node 0");
        await Eventually.True(() => lab.NextHops("198.18.22.1/32").SetEquals([SpeakerLab.NodeAddress(0)]), SpeakerLab.Bound,
            $"BIRD's only path via node 0 ({SpeakerLab.NodeAddress(0)})\n{lab.Diagnostics()}");
        await lab.EndpointOnAsync("web", 1);
        await Eventually.True(() => lab.NextHops("198.18.22.1/32").SetEquals([SpeakerLab.NodeAddress(1)]), SpeakerLab.Bound,
            $"BIRD's only path via node 1 ({SpeakerLab.NodeAddress(1)}) after the endpoint moved\n{lab.Diagnostics()}");
    }

    [Fact]
    public async Task A_BGPPeer_with_passwordSecret_gets_a_TCP_MD5_session_with_BIRD()
    {
        await using var lab = await SpeakerLab.StartAsync(server, "md5", "198.18.23.0/28", password: "bgplbv-Secret-1");
        await lab.SpeakerAsync(0);
        await lab.CreateServiceAsync("web");
        await lab.SetIngressAsync("web", "198.18.23.1");
        // BIRD with a password accepts only segments signed with it (RFC 2385): a route means the speaker used the Secret's.
        await lab.HoldsAsync(["198.18.23.1/32"], "over the MD5 session");
        Assert.True(lab.Established(0), lab.Diagnostics());
    }

    /// <summary>
    /// The API server of this test's own (stopping the shared one would fail the other classes' clients) is stopped for
    /// 60 s: BIRD keeps the route and the session the whole time (sampled), and a change made after the restart is applied.
    /// </summary>
    [Fact]
    public async Task With_the_API_server_stopped_for_60_s_the_routes_stay_and_a_change_after_its_restart_is_applied()
    {
        var own = new ApiServer { DirPrefix = SpeakerLab.Prefix + "-apiserver-" };
        await own.InitializeAsync();
        try
        {
            await using var lab = await SpeakerLab.StartAsync(own, "away", "198.18.24.0/28");
            var speaker = await lab.SpeakerAsync(0);
            await lab.CreateServiceAsync("web");
            await lab.SetIngressAsync("web", "198.18.24.1");
            await lab.HoldsAsync(["198.18.24.1/32"], "before the API server stops");

            await own.StopAsync();
            var away = System.Diagnostics.Stopwatch.StartNew();
            var samples = 0;
            while (away.Elapsed < TimeSpan.FromSeconds(60))
            {
                var held = lab.Prefixes();
                Assert.True(held.SetEquals(["198.18.24.1/32"]) && lab.Established(0),
                    $"{away.Elapsed.TotalSeconds:0.0} s after the API server stopped BIRD holds [{string.Join(", ", held)}], session up: {lab.Established(0)}\n{lab.Diagnostics()}");
                Assert.False(speaker.HasExited, "the speaker exited while the API server was away\n" + speaker.Output);
                samples++;
                await Task.Delay(500);
            }
            Assert.Contains("the last known objects stay in force", speaker.Output, StringComparison.Ordinal);

            await own.StartAsync();
            lab.Reconnect();
            await lab.CreateServiceAsync("api");
            await lab.SetIngressAsync("api", "198.18.24.2");
            await lab.HoldsAsync(["198.18.24.1/32", "198.18.24.2/32"], "after the API server came back");
            output.WriteLine($"{samples} samples over 60 s with the API server stopped, every one with the route and the session up");
        }
        finally
        {
            await own.DisposeAsync();
        }
    }
}
