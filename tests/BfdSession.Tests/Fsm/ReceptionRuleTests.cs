using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Wire;
using Xunit;

namespace BgpLb.BfdSession.Tests.Fsm;

/// <summary>
/// RFC 5880 §6.8.6, rule by rule, on the pure FSM (the wire checks are in BfdPacketReaderTests,
/// demultiplexing in DispatchTests): (state, received packet) -> (state, diagnostic, actions).
/// </summary>
public sealed class ReceptionRuleTests
{
    private const uint Local = 0x0A0B0C0D;
    private const uint Remote = 0x01020304;

    private static BfdFsm Fsm(BfdAuthKey? auth = null, bool passive = false, int multiplier = 3) =>
        new(SessionTimingTests.Params(50, 50, (byte)multiplier, auth, passive), Local, new Random(7));

    private static BfdControlPacket From(BfdState state, bool poll = false, bool final = false, uint your = Local, bool demand = false) => new()
    {
        Version = 1,
        State = state,
        Poll = poll,
        Final = final,
        Demand = demand,
        DetectMultiplier = 4,
        Length = 24,
        MyDiscriminator = Remote,
        YourDiscriminator = your,
        DesiredMinTxInterval = 70_000,
        RequiredMinRxInterval = 60_000,
    };

    private static BfdReaction Receive(BfdFsm fsm, BfdControlPacket packet) => Deliver(fsm, packet, null);

    /// <summary>Encodes with <paramref name="key"/>, decodes (as the transport would) and hands the result to the FSM.</summary>
    private static BfdReaction Deliver(BfdFsm fsm, BfdControlPacket packet, BfdAuthKey? key)
    {
        var bytes = Encode(packet, key);
        Assert.True(BfdPacketReader.TryRead(bytes, out var decoded, out var reason), reason.ToString());
        return fsm.Receive(decoded, bytes);
    }

    private static byte[] Encode(BfdControlPacket packet, BfdAuthKey? key)
    {
        var buffer = new byte[BfdControlPacket.MaxWrittenLength];
        Assert.True(BfdPacketWriter.TryWrite(packet, key, buffer, out var n));
        return buffer[..n];
    }

    /// <summary>Brings a fresh FSM to <paramref name="state"/> by the RFC's own transitions.</summary>
    private static BfdFsm In(BfdState state)
    {
        var fsm = Fsm();
        switch (state)
        {
            case BfdState.Init:
                Receive(fsm, From(BfdState.Down, your: 0));
                break;
            case BfdState.Up:
                Receive(fsm, From(BfdState.Init));
                break;
            case BfdState.AdminDown:
                fsm.AdminDown();
                break;
        }
        Assert.Equal(state, fsm.State);
        return fsm;
    }

    // "If bfd.SessionState is Down: If received State is Down, set bfd.SessionState to Init; else if
    // received State is Init, set bfd.SessionState to Up." Init: "If received State is Init or Up, set
    // bfd.SessionState to Up." Up: "If received State is Down, set bfd.LocalDiag to 3 ... Down."
    // Received AdminDown: "If bfd.SessionState is not Down, set bfd.LocalDiag to 3 ... Down".
    [Theory]
    [InlineData(BfdState.Down, BfdState.Down, BfdState.Init, BfdDiagnostic.None)]
    [InlineData(BfdState.Down, BfdState.Init, BfdState.Up, BfdDiagnostic.None)]
    [InlineData(BfdState.Down, BfdState.Up, BfdState.Down, BfdDiagnostic.None)]
    [InlineData(BfdState.Down, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.None)]
    [InlineData(BfdState.Init, BfdState.Down, BfdState.Init, BfdDiagnostic.None)]
    [InlineData(BfdState.Init, BfdState.Init, BfdState.Up, BfdDiagnostic.None)]
    [InlineData(BfdState.Init, BfdState.Up, BfdState.Up, BfdDiagnostic.None)]
    [InlineData(BfdState.Init, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown)]
    [InlineData(BfdState.Up, BfdState.Down, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown)]
    [InlineData(BfdState.Up, BfdState.Init, BfdState.Up, BfdDiagnostic.None)]
    [InlineData(BfdState.Up, BfdState.Up, BfdState.Up, BfdDiagnostic.None)]
    [InlineData(BfdState.Up, BfdState.AdminDown, BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown)]
    public void State_table_of_section_6_8_6(BfdState local, BfdState received, BfdState expected, BfdDiagnostic diagnostic)
    {
        var fsm = In(local);
        var reaction = Receive(fsm, From(received));
        Assert.Equal(BfdDropReason.None, reaction.Dropped);
        Assert.Equal(expected, fsm.State);
        Assert.Equal(diagnostic, fsm.LocalDiagnostic);
        Assert.Equal(expected != local, reaction.Has(BfdReactionFlags.SendNow));
        Assert.True(reaction.Has(BfdReactionFlags.RestartDetection));
    }

    [Theory]
    [InlineData(BfdState.Down)]
    [InlineData(BfdState.Init)]
    [InlineData(BfdState.Up)]
    [InlineData(BfdState.AdminDown)]
    public void In_admin_down_every_packet_is_discarded_after_the_remote_variables_are_noted(BfdState received)
    {
        var fsm = In(BfdState.AdminDown);
        var reaction = Receive(fsm, From(received, poll: true));
        Assert.Equal(BfdDropReason.SessionAdminDown, reaction.Dropped);
        Assert.Equal(BfdState.AdminDown, fsm.State);
        Assert.False(reaction.Has(BfdReactionFlags.SendFinal));
        Assert.Equal(Remote, fsm.RemoteDiscriminator);
    }

    [Fact]
    public void A_received_packet_sets_the_remote_variables()
    {
        var fsm = Fsm();
        Receive(fsm, From(BfdState.Down, your: 0, demand: true) with { Diagnostic = BfdDiagnostic.PathDown });
        Assert.Equal(Remote, fsm.RemoteDiscriminator);
        Assert.Equal(BfdState.Down, fsm.RemoteState);
        Assert.True(fsm.RemoteDemandMode);
        Assert.Equal(60_000u, fsm.RemoteMinRxInterval);
        Assert.Equal(70_000u, fsm.RemoteDesiredMinTxInterval);
        Assert.Equal(4, fsm.RemoteDetectMultiplier);
        Assert.Equal(BfdDiagnostic.PathDown, fsm.RemoteDiagnostic);
    }

    [Fact]
    public void A_poll_is_answered_with_a_final_in_every_state_but_admin_down()
    {
        foreach (var state in new[] { BfdState.Down, BfdState.Init, BfdState.Up })
        {
            var fsm = In(state);
            var reaction = Receive(fsm, From(fsm.State == BfdState.Down ? BfdState.Up : BfdState.Up, poll: true));
            Assert.True(reaction.Has(BfdReactionFlags.SendFinal), $"{state}");
            var answer = fsm.NextPacket(final: true);
            Assert.True(answer.Final);
            Assert.False(answer.Poll);
        }
    }

    [Fact]
    public void The_a_bit_without_authentication_configured_is_discarded()
    {
        var fsm = Fsm();
        var key = new BfdAuthKey(BfdAuthType.KeyedSha1, 1, "k"u8);
        var packet = From(BfdState.Down, your: 0) with { AuthenticationPresent = true, Auth = key.Section(5) };
        var reaction = Deliver(fsm, packet, key);
        Assert.Equal(BfdDropReason.AuthenticationNotExpected, reaction.Dropped);
        Assert.Equal(0u, fsm.RemoteDiscriminator);
    }

    [Fact]
    public void No_a_bit_with_authentication_configured_is_discarded()
    {
        var fsm = Fsm(new BfdAuthKey(BfdAuthType.KeyedMd5, 1, "k"u8));
        Assert.Equal(BfdDropReason.AuthenticationMissing, Receive(fsm, From(BfdState.Down, your: 0)).Dropped);
        Assert.Equal(BfdState.Down, fsm.State);
    }

    [Theory]
    [InlineData(BfdAuthType.SimplePassword)]
    [InlineData(BfdAuthType.KeyedMd5)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5)]
    [InlineData(BfdAuthType.KeyedSha1)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1)]
    public void Wrong_type_key_id_or_secret_are_each_named(BfdAuthType type)
    {
        var key = new BfdAuthKey(type, 9, "right"u8);
        BfdDropReason Try(BfdAuthKey sender)
        {
            var fsm = Fsm(key);
            var packet = From(BfdState.Down, your: 0) with { AuthenticationPresent = true, Auth = sender.Section(100) };
            return Deliver(fsm, packet, sender).Dropped;
        }
        Assert.Equal(BfdDropReason.None, Try(key));
        Assert.Equal(BfdDropReason.AuthKeyIdMismatch, Try(new BfdAuthKey(type, 10, "right"u8)));
        Assert.Equal(BfdDropReason.AuthenticationFailed, Try(new BfdAuthKey(type, 9, "wrong"u8)));
        var other = type == BfdAuthType.KeyedSha1 ? BfdAuthType.KeyedMd5 : BfdAuthType.KeyedSha1;
        Assert.Equal(BfdDropReason.AuthTypeMismatch, Try(new BfdAuthKey(other, 9, "right"u8)));
    }

    // §6.7.3: keyed accepts RcvAuthSeq..RcvAuthSeq+3*DetectMult, meticulous RcvAuthSeq+1..; circular.
    [Theory]
    [InlineData(BfdAuthType.KeyedMd5, 0u, true)]
    [InlineData(BfdAuthType.KeyedMd5, 12u, true)]
    [InlineData(BfdAuthType.KeyedMd5, 13u, false)]
    [InlineData(BfdAuthType.KeyedMd5, uint.MaxValue, false)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5, 0u, false)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5, 1u, true)]
    [InlineData(BfdAuthType.MeticulousKeyedMd5, 12u, true)]
    [InlineData(BfdAuthType.KeyedSha1, 12u, true)]
    [InlineData(BfdAuthType.KeyedSha1, 13u, false)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, 0u, false)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1, 13u, false)]
    public void Sequence_numbers_outside_the_window_are_discarded(BfdAuthType type, uint ahead, bool accepted)
    {
        var key = new BfdAuthKey(type, 1, "s"u8);
        var fsm = Fsm(key);
        // The first packet sets RcvAuthSeq (near the wrap, to check the circular comparison).
        const uint First = uint.MaxValue - 5;
        var first = From(BfdState.Down, your: 0) with { AuthenticationPresent = true, Auth = key.Section(First) };
        Assert.Equal(BfdDropReason.None, Deliver(fsm, first, key).Dropped);
        Assert.True(fsm.AuthSeqKnown);
        // Detect Mult 4 in From(): the window is 3 * 4 = 12.
        var next = first with { Auth = key.Section(unchecked(First + ahead)) };
        var dropped = Deliver(fsm, next, key).Dropped;
        Assert.Equal(accepted ? BfdDropReason.None : BfdDropReason.SequenceNumberOutOfWindow, dropped);
    }

    [Fact]
    public void Auth_sequence_is_forgotten_after_two_detection_times_without_packets()
    {
        var key = new BfdAuthKey(BfdAuthType.MeticulousKeyedSha1, 1, "s"u8);
        var fsm = Fsm(key);
        var packet = From(BfdState.Down, your: 0) with { AuthenticationPresent = true, Auth = key.Section(1000) };
        Deliver(fsm, packet, key);
        Assert.True(fsm.DetectionTimeExpired().Has(BfdReactionFlags.RestartDetection));
        Assert.True(fsm.AuthSeqKnown);
        Assert.True(fsm.DetectionTimeExpired().Has(BfdReactionFlags.StopDetection));
        Assert.False(fsm.AuthSeqKnown);
        // Any sequence number is accepted again.
        var restarted = packet with { Auth = key.Section(5) };
        Assert.Equal(BfdDropReason.None, Deliver(fsm, restarted, key).Dropped);
    }

    [Fact]
    public void Transmitted_sequence_numbers_start_random_and_advance_every_packet()
    {
        var key = new BfdAuthKey(BfdAuthType.MeticulousKeyedMd5, 1, "s"u8);
        var a = new BfdFsm(SessionTimingTests.Params(50, 50, 3, key), 1, new Random(1)).NextPacket(false).Auth.SequenceNumber;
        var fsm = new BfdFsm(SessionTimingTests.Params(50, 50, 3, key), 1, new Random(2));
        var b = fsm.NextPacket(false).Auth.SequenceNumber;
        Assert.NotEqual(a, b);
        Assert.Equal(b + 1, fsm.NextPacket(false).Auth.SequenceNumber);
    }

    [Theory]
    [InlineData(BfdState.Init)]
    [InlineData(BfdState.Up)]
    public void Detection_time_expiry_in_init_or_up_goes_down_with_diagnostic_1_and_forgets_the_remote(BfdState state)
    {
        var fsm = In(state);
        var reaction = fsm.DetectionTimeExpired();
        Assert.Equal(BfdState.Down, fsm.State);
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, fsm.LocalDiagnostic);
        Assert.Equal(0u, fsm.RemoteDiscriminator);
        Assert.True(reaction.Has(BfdReactionFlags.SendNow));
        Assert.Equal(0u, fsm.NextPacket(false).YourDiscriminator);
    }

    [Fact]
    public void A_passive_session_sends_nothing_until_it_hears_the_peer()
    {
        var fsm = Fsm(passive: true);
        Assert.False(fsm.TransmitsPeriodically);
        var reaction = Receive(fsm, From(BfdState.Down, your: 0));
        Assert.True(fsm.TransmitsPeriodically);
        Assert.True(reaction.Has(BfdReactionFlags.TransmitScheduleChanged));
        fsm.DetectionTimeExpired();
        Assert.False(fsm.TransmitsPeriodically);
    }

    [Fact]
    public void A_peer_asking_for_demand_mode_stops_our_periodic_packets_once_both_are_up()
    {
        var fsm = In(BfdState.Up);
        Receive(fsm, From(BfdState.Up, final: true)); // end the Poll that reaching Up started
        Assert.True(fsm.TransmitsPeriodically);
        Receive(fsm, From(BfdState.Up, demand: true));
        Assert.False(fsm.TransmitsPeriodically);
        Assert.False(fsm.NextPacket(false).Demand); // we never ask for Demand mode ourselves
    }

    [Fact]
    public void A_peer_required_min_rx_of_zero_stops_periodic_packets()
    {
        var fsm = Fsm();
        Receive(fsm, From(BfdState.Down, your: 0) with { RequiredMinRxInterval = 0 });
        Assert.False(fsm.TransmitsPeriodically);
    }

    [Fact]
    public void Admin_down_sends_diagnostic_7_and_admin_up_returns_to_down()
    {
        var fsm = In(BfdState.Up);
        var reaction = fsm.AdminDown();
        Assert.True(reaction.Has(BfdReactionFlags.SendNow));
        var packet = fsm.NextPacket(false);
        Assert.Equal(BfdState.AdminDown, packet.State);
        Assert.Equal(BfdDiagnostic.AdministrativelyDown, packet.Diagnostic);
        fsm.AdminUp();
        Assert.Equal(BfdState.Down, fsm.State);
        Assert.Equal(BfdDiagnostic.None, fsm.LocalDiagnostic);
    }
}
