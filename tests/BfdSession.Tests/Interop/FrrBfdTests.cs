using System.Diagnostics;
using System.Text.Json;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// Our BFD against FRR's bfdd (with zebra, as FRR runs it) in network namespaces. What bfdd
/// negotiated is read from bfdd (<c>vtysh -c 'show bfd peers json'</c>), never from our state.
/// FRR 8.4's bfdd has no authentication (no such command), so no authentication test here.
/// </summary>
[Trait("Category", "Interop")]
[Collection(PeerInteropRunsAlone.Name)]
public sealed class FrrBfdTests(ITestOutputHelper output)
{
    private const string Zebra = "/usr/lib/frr/zebra";
    private const string Bfdd = "/usr/lib/frr/bfdd";

    private static string BfddConfig(string dir, int intervalMs, int multiplier) => $"""
        hostname bgplbf-frr
        log file {dir}/bfdd.log debugging
        !
        bfd
         peer {NetnsLab.HostV4} local-address {NetnsLab.PeerV4} interface p0
          receive-interval {intervalMs}
          transmit-interval {intervalMs}
          detect-multiplier {multiplier}
         exit
         peer {NetnsLab.HostV6} local-address {NetnsLab.PeerV6} interface p0
          receive-interval {intervalMs}
          transmit-interval {intervalMs}
          detect-multiplier {multiplier}
         exit
        exit
        """;

    [Fact]
    public async Task Sessions_come_up_with_frr_bfdd_negotiate_its_timers_change_profile_without_a_flap_and_detect_its_death()
    {
        BfdLab.RequireBinaries("frr and util-linux", Zebra, Bfdd, "vtysh", "chrt");
        await using var lab = new BfdLab("frr");
        var dir = lab.Dir;
        File.WriteAllText($"{dir}/zebra.conf", $"hostname bgplbf-frr\nlog file {dir}/zebra.log warnings\n");
        File.WriteAllText($"{dir}/bfdd.conf", BfddConfig(dir, 50, 3));
        NetnsLab.Sh($"chown -R frr:frr {dir}");
        var common = $"--vty_socket {dir} -P 0 -z {dir}/zserv.api -u frr -g frr";
        lab.Net.Ns($"{Zebra} -d -f {dir}/zebra.conf -i {dir}/zebra.pid {common}");
        Assert.True(NetnsLab.WaitUntil(() => File.Exists($"{dir}/zserv.api"), TimeSpan.FromSeconds(10)), BfdLab.ReadOrNone($"{dir}/zebra.log"));
        // Real-time (chrt), as our own threads are: see BirdBfdTests.StartBird.
        lab.Net.Ns($"chrt -f 10 {Bfdd} -d -f {dir}/bfdd.conf -i {dir}/bfdd.pid --bfdctl {dir}/bfdd.sock {common}");
        string Vtysh(string command) => NetnsLab.Run($"vtysh --vty_socket {dir} -d bfdd -c '{command}'").Output;
        JsonElement? Peer(string address)
        {
            var text = Vtysh("show bfd peers json");
            try
            {
                return JsonDocument.Parse(text).RootElement.EnumerateArray()
                    .Where(p => p.GetProperty("peer").GetString() == address).Select(p => p.Clone()).Cast<JsonElement?>().FirstOrDefault();
            }
            catch (JsonException)
            {
                return null;
            }
        }
        bool PeerIs(string address, string status, int remoteRx, int remoteTx, int remoteMultiplier) => Peer(address) is { } p &&
            p.GetProperty("status").GetString() == status &&
            p.GetProperty("remote-receive-interval").GetInt32() == remoteRx &&
            p.GetProperty("remote-transmit-interval").GetInt32() == remoteTx &&
            p.GetProperty("remote-detect-multiplier").GetInt32() == remoteMultiplier;
        long SessionDowns(string address)
        {
            var counters = JsonDocument.Parse(Vtysh("show bfd peers counters json")).RootElement;
            return counters.EnumerateArray().Single(p => p.GetProperty("peer").GetString() == address).GetProperty("session-down").GetInt64();
        }

        var v4 = BfdLab.PeerV4;
        var v6 = BfdLab.PeerV6;
        try
        {
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(50, 3));
            lab.Sessions.AddOrUpdate(v6, BfdLab.Profile(50, 3));
            Assert.True(lab.WaitUp(v4, TimeSpan.FromSeconds(15)), $"{lab.Status(v4)}\n{Vtysh("show bfd peers")}\n{BfdLab.ReadOrNone($"{dir}/bfdd.log")}");
            Assert.True(lab.WaitUp(v6, TimeSpan.FromSeconds(15)), $"{lab.Status(v6)}\n{Vtysh("show bfd peers")}");
            // bfdd's side: up, and what it read from us: 50 ms both ways, multiplier 3.
            Assert.True(NetnsLab.WaitUntil(() => PeerIs(NetnsLab.HostV4, "up", 50, 50, 3), TimeSpan.FromSeconds(5)), Vtysh("show bfd peers json"));
            Assert.True(NetnsLab.WaitUntil(() => PeerIs(NetnsLab.HostV6, "up", 50, 50, 3), TimeSpan.FromSeconds(5)), Vtysh("show bfd peers json"));
            output.WriteLine(Vtysh("show bfd peers json"));
            var status = lab.Status(v4);
            Assert.Equal(TimeSpan.FromMilliseconds(50), status.TransmitInterval);
            Assert.Equal(TimeSpan.FromMilliseconds(150), status.DetectionTime);
            Assert.Equal(0, SessionDowns(NetnsLab.HostV4));

            // Profile change through a Poll Sequence: bfdd reads the new values, never sees Down.
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(100, 5));
            Assert.True(NetnsLab.WaitUntil(() => PeerIs(NetnsLab.HostV4, "up", 100, 100, 5), TimeSpan.FromSeconds(5)), Vtysh("show bfd peers json"));
            Assert.True(NetnsLab.WaitUntil(() => !lab.Status(v4).PollActive, TimeSpan.FromSeconds(5)));
            Assert.Equal(TimeSpan.FromMilliseconds(100), lab.Status(v4).TransmitInterval);
            Assert.Equal(TimeSpan.FromMilliseconds(300), lab.Status(v4).DetectionTime);
            lab.Sessions.AddOrUpdate(v4, BfdLab.Profile(50, 3));
            Assert.True(NetnsLab.WaitUntil(() => PeerIs(NetnsLab.HostV4, "up", 50, 50, 3), TimeSpan.FromSeconds(5)), Vtysh("show bfd peers json"));
            Thread.Sleep(300);
            Assert.Equal(0, SessionDowns(NetnsLab.HostV4));
            Assert.Equal(0, lab.DownsReported());
            output.WriteLine(Vtysh("show bfd peers counters json"));

            // bfdd dies silently: we detect it within 3 x 50 ms, plus slack for a loaded machine.
            // The bound runs from the end of the kill command: forking a shell on a loaded machine can
            // take longer than the detection time itself, and that is not BFD's time.
            var killing = Stopwatch.GetTimestamp();
            NetnsLab.Run($"kill -9 $(cat {dir}/bfdd.pid)");
            var killMs = Stopwatch.GetElapsedTime(killing).TotalMilliseconds;
            var detected = lab.WaitDownAfter(killing, TimeSpan.FromSeconds(5));
            output.WriteLine($"kill command {killMs:F1} ms, start of kill -> Down: {detected} ms");
            Assert.NotNull(detected);
            Assert.True(detected - killMs < 150 + 350,
                $"detected {detected - killMs:F1} ms after the kill command returned (it took {killMs:F1} ms), more than 3 x 50 ms + 350 ms slack");
            Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, lab.Status(v4).LocalDiagnostic);
        }
        finally
        {
            output.WriteLine(BfdLab.ReadOrNone($"{dir}/bfdd.log"));
            NetnsLab.Run($"kill -9 $(cat {dir}/bfdd.pid) $(cat {dir}/zebra.pid) 2>/dev/null");
        }
    }
}
