using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// RFC 4271 §6.8 against BIRD, both ends active at once. To make the collision certain rather than
/// lucky, nftables in BIRD's namespace first holds every SYN (both sides' connects wait), then lets
/// the handshakes through but holds every segment carrying data (so both TCP connections are up
/// before any OPEN is read), then lets only the OPENs through (so neither connection gets
/// Established first, which would decide by §6.8's other rule): each side reads two OPENs and must
/// close the same connection, the one the speaker with the lower BGP Identifier opened. Read from BIRD's namespace: exactly one TCP connection on port 179 stays,
/// and BIRD's session is Established on it.
/// </summary>
[Trait("Category", "Interop")]
public sealed class BirdCollisionTests(ITestOutputHelper output)
{
    private const string LabPrefix = "bgplbs";

    private static string BirdConfig(string dir) => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{dir}}/bird.log" all;
        debug protocols { states, events };
        protocol device { }
        protocol bgp bgplb {
          local {{NetnsLab.PeerV4}} as {{InteropScenario.PeerAsnNumber}};
          neighbor {{NetnsLab.HostV4}} as {{InteropScenario.OurAsn}};
          connect delay time 1;
          connect retry time 30;
          hold time 30;
          ipv4 { import all; export none; };
        }
        """;

    /// <summary>Established TCP connections on port 179 in BIRD's namespace.</summary>
    private static int Connections(NetnsLab lab) =>
        lab.Ns("ss -Htn state established '( sport = :179 or dport = :179 )'").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>Drops what <paramref name="match"/> matches both ways, replacing the previous rule in one nft transaction (no gap).</summary>
    private static void Hold(NetnsLab lab, string match) =>
        lab.Ns($"nft 'flush chain inet hold in ; flush chain inet hold out ; add rule inet hold in {match} counter drop ; add rule inet hold out {match} counter drop'");

    /// <summary>Whether the current rule of <paramref name="chain"/> ("in": to BIRD, "out": from BIRD) has dropped anything.</summary>
    private static bool Dropped(NetnsLab lab, string chain) =>
        !lab.Ns($"nft list chain inet hold {chain}").Contains("counter packets 0 ", StringComparison.Ordinal);

    [Theory]
    // BIRD's identifier is 203.0.113.1 (0xCB007101): ours above it keeps our connection, below it BIRD's.
    [InlineData(0xCB007102u, true)]
    [InlineData(0xCB007100u, false)]
    public async Task Both_ends_connecting_at_once_leave_exactly_one_session(uint ourId, bool oursSurvives)
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        InteropScenario.RequireBinaries("nftables", "nft");
        using var lab = new NetnsLab(oursSurvives ? "colhi" : "collo", LabPrefix);
        var dir = Directory.CreateTempSubdirectory("bgplb-collision-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir));
        string Birdc(string command) => NetnsLab.Run($"birdc -s {dir}/bird.ctl {command}").Output;

        // Phase 1: no SYN passes either way.
        lab.Ns("nft add table inet hold");
        lab.Ns("nft add chain inet hold in '{ type filter hook input priority 0; }'");
        lab.Ns("nft add chain inet hold out '{ type filter hook output priority 0; }'");
        Hold(lab, "tcp flags & (syn | ack) == syn");

        var loggers = new CollectingLoggerFactory();
        await using var speaker = new BgpSpeaker(TimeProvider.System, () => new Random(1), loggers);
        speaker.Listen(new IPEndPoint(IPAddress.Parse(NetnsLab.HostV4), PeerEndpoint.BgpPort), lab.CreateSocket);
        var options = new PeerOptions
        {
            LocalAsn = InteropScenario.OurAsn,
            PeerAsn = PeerAsn.Of(InteropScenario.PeerAsnNumber),
            RouterId = ourId,
            // Above the phases' longest wait (20 s), so that no hold timer ends a connection while
            // KEEPALIVEs are held: a later reconnect would then win without any collision.
            HoldTime = 30,
            ConnectRetryTime = TimeSpan.FromSeconds(30), // one connect, held, not restarted
        };
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort))
        {
            LocalAddress = IPAddress.Parse(NetnsLab.HostV4),
            SocketFactory = lab.CreateSocket,
            ConnectTimeout = TimeSpan.FromSeconds(30), // our SYN must stay pending while held
        };
        await speaker.AddOrUpdatePeerAsync("bird", options, endpoint, passive: false, CancellationToken.None);
        lab.Ns($"bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        try
        {
            // Both have sent a SYN (BIRD after its 1 s connect delay): ours counted by the input rule, BIRD's by the output rule.
            Assert.True(NetnsLab.WaitUntil(() => Dropped(lab, "in") && Dropped(lab, "out"), TimeSpan.FromSeconds(20)),
                $"both SYNs were not held: {lab.Ns("nft list table inet hold")}");
            // Phase 2: handshakes pass (the SYNs are retransmitted), data does not: no OPEN is read yet.
            Hold(lab, "meta l4proto tcp ip length > 64");
            Assert.True(NetnsLab.WaitUntil(() => Connections(lab) == 2, TimeSpan.FromSeconds(20)),
                $"the two connections did not both come up: {lab.Ns("ss -tn")}");
            // Phase 3: OPENs pass (their segments are longer than 100 octets), KEEPALIVEs and
            // NOTIFICATIONs (65 to 100 with timestamps) do not: each side sees both OPENs with
            // neither connection Established, so both must decide by the identifiers (§6.8).
            Hold(lab, "meta l4proto tcp ip length 65-100");
            Assert.True(NetnsLab.WaitUntil(() => speaker.Peers.Single().CollisionsResolved >= 1
                && File.ReadAllText($"{dir}/bird.log").Contains("Connection collision", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                $"no collision resolved: {speaker.Peers.Single()}\n{File.ReadAllText($"{dir}/bird.log")}");
            // Phase 4: everything passes.
            lab.Ns("nft delete table inet hold");

            Assert.True(NetnsLab.WaitUntil(() => speaker.Peers.Single().State == BgpState.Established && Connections(lab) == 1
                && Birdc("show protocols bgplb").Contains("Established", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
                $"{speaker.Peers.Single()}\n{lab.Ns("ss -tn")}\n{Birdc("show protocols all bgplb")}");
            // Stays so: BIRD keeps the same one connection, our collision counter saw the decision.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            Assert.Equal(1, Connections(lab));
            Assert.Equal(BgpState.Established, speaker.Peers.Single().State);
            Assert.Contains("Established", Birdc("show protocols bgplb"), StringComparison.Ordinal);
            Assert.True(speaker.Peers.Single().CollisionsResolved >= 1, speaker.Peers.Single().ToString());
            var connection = lab.Ns("ss -Htn state established '( sport = :179 or dport = :179 )'");
            output.WriteLine(connection);
            // Our decision, as logged. By the identifiers (1006 between our connection and the one
            // the peer opened, neither Established) the dominant speaker's connection stays. Under a
            // loaded machine one side may reach Established before the other's OPEN arrives; then
            // §6.8 keeps the Established one (1008, or 1006 naming it), and which survives follows
            // timing. Two connections the peer opened (BIRD retried) keep the newer one.
            var decisions = loggers.Logger.Entries.Where(e => e.Id.Id is 1006 or 1008).Select(e => e.Message).ToList();
            Assert.NotEmpty(decisions);
            var byIdentifiers = decisions.Where(d => d.Contains("keeping ", StringComparison.Ordinal)
                && !d.Contains("(Established)", StringComparison.Ordinal)
                && d.Contains("our connection", StringComparison.Ordinal)
                && d.Contains("the connection the peer opened", StringComparison.Ordinal)).ToList();
            foreach (var decision in byIdentifiers)
            {
                Assert.Contains(oursSurvives ? "closing the connection the peer opened" : "closing our connection", decision, StringComparison.Ordinal);
            }
            if (byIdentifiers.Count == decisions.Count)
            {
                // Every collision was decided by the identifiers: the survivor is the connection the
                // dominant speaker opened (ours goes to BIRD's port 179).
                var local = connection.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]; // BIRD's end
                Assert.Equal(oursSurvives, local == $"{NetnsLab.PeerV4}:179");
            }
        }
        finally
        {
            output.WriteLine(string.Join('\n', loggers.Logger.Entries.Select(e => e.Message)));
            output.WriteLine(File.Exists($"{dir}/bird.log") ? File.ReadAllText($"{dir}/bird.log") : "(no bird.log)");
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }
}
