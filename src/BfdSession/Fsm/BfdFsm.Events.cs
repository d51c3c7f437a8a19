using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession.Fsm;

public sealed partial class BfdFsm
{
    /// <summary>
    /// RFC 5880 §6.8.6 from "If the A bit is set and no authentication is in use" on: the packet
    /// passed the wire checks (<see cref="BfdPacketReader"/>) and demultiplexing already.
    /// <paramref name="raw"/> is the received packet (at least Length octets), for the digest.
    /// </summary>
    public BfdReaction Receive(in BfdControlPacket packet, ReadOnlySpan<byte> raw)
    {
        var from = State;
        var auth = _parameters.Auth;
        // "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the packet MUST be discarded."
        if (packet.AuthenticationPresent && auth is null)
        {
            return Drop(BfdDropReason.AuthenticationNotExpected);
        }
        // "If the A bit is clear and authentication is in use (bfd.AuthType is nonzero), the packet MUST be discarded."
        if (!packet.AuthenticationPresent && auth is not null)
        {
            return Drop(BfdDropReason.AuthenticationMissing);
        }
        if (auth is not null)
        {
            var rejected = Authenticate(packet, raw, auth);
            if (rejected != BfdDropReason.None)
            {
                return Drop(rejected);
            }
        }

        var flags = BfdReactionFlags.RestartDetection;
        _missedDetections = 0;
        var intervalBefore = TransmitInterval;
        var transmittedBefore = TransmitsPeriodically;
        RemoteDiscriminator = packet.MyDiscriminator;
        RemoteState = packet.State;
        RemoteDemandMode = packet.Demand;
        RemoteMinRxInterval = packet.RequiredMinRxInterval;
        RemoteDesiredMinTxInterval = packet.DesiredMinTxInterval;
        RemoteDetectMultiplier = packet.DetectMultiplier;
        RemoteDiagnostic = packet.Diagnostic;
        // "If the Required Min Echo RX Interval field is zero, the transmission of Echo packets, if
        // any, MUST cease": we never send Echo packets.

        // "If a Poll Sequence is being transmitted by the local system and the Final (F) bit in the
        // received packet is set, the Poll Sequence MUST be terminated."
        if (packet.Final && _pollActive)
        {
            flags |= CompletePoll();
        }

        // "If bfd.SessionState is AdminDown: Discard the packet" (the remote variables above are kept).
        if (State == BfdState.AdminDown)
        {
            return new BfdReaction(from, State, LocalDiagnostic, BfdReactionFlags.None, BfdDropReason.SessionAdminDown);
        }

        if (packet.State == BfdState.AdminDown)
        {
            // "If received state is AdminDown: If bfd.SessionState is not Down, set bfd.LocalDiag to 3
            // (Neighbor signaled session down) and set bfd.SessionState to Down."
            if (State != BfdState.Down)
            {
                GoDown(BfdDiagnostic.NeighborSignaledSessionDown);
            }
        }
        else
        {
            switch (State, packet.State)
            {
                // "If bfd.SessionState is Down: If received State is Down, set bfd.SessionState to Init;
                // else if received State is Init, set bfd.SessionState to Up."
                case (BfdState.Down, BfdState.Down):
                    State = BfdState.Init;
                    break;
                case (BfdState.Down, BfdState.Init):
                    GoUp();
                    break;
                // "Else if bfd.SessionState is Init: If received State is Init or Up, set bfd.SessionState to Up."
                case (BfdState.Init, BfdState.Init or BfdState.Up):
                    GoUp();
                    break;
                // "Else (bfd.SessionState is Up): If received State is Down, set bfd.LocalDiag to 3
                // (Neighbor signaled session down) and set bfd.SessionState to Down."
                case (BfdState.Up, BfdState.Down):
                    GoDown(BfdDiagnostic.NeighborSignaledSessionDown);
                    break;
            }
        }

        if (State != from)
        {
            flags |= BfdReactionFlags.SendNow;
            // §6.8.3: reaching Up lowers Desired Min TX from the 1 s slow rate: a change to poll for.
            if (State == BfdState.Up && _parameters.DesiredMinTxInterval < SlowTxInterval)
            {
                flags |= StartPoll();
            }
        }
        // "If the Poll (P) bit is set, send a BFD Control packet to the remote system with the Poll
        // (P) bit clear, and the Final (F) bit set" (§6.8.7: as soon as practicable).
        if (packet.Poll)
        {
            flags |= BfdReactionFlags.SendFinal;
        }
        if (TransmitInterval != intervalBefore || TransmitsPeriodically != transmittedBefore)
        {
            flags |= BfdReactionFlags.TransmitScheduleChanged;
        }
        return new BfdReaction(from, State, LocalDiagnostic, flags);

        BfdReaction Drop(BfdDropReason reason) => new(State, State, LocalDiagnostic, BfdReactionFlags.None, reason);
    }

    /// <summary>
    /// §6.8.4: a Detection Time passed without a valid packet. In Init or Up the session goes Down
    /// with diagnostic 1; in any state bfd.RemoteDiscr is forgotten (§6.8.1). After a second Detection
    /// Time bfd.AuthSeqKnown is cleared (§6.8.1: "at least twice the Detection Time").
    /// </summary>
    public BfdReaction DetectionTimeExpired()
    {
        var from = State;
        var transmittedBefore = TransmitsPeriodically;
        var flags = BfdReactionFlags.None;
        _missedDetections++;
        if (State is BfdState.Init or BfdState.Up)
        {
            GoDown(BfdDiagnostic.ControlDetectionTimeExpired);
            flags |= BfdReactionFlags.SendNow;
        }
        RemoteDiscriminator = 0;
        RemoteState = BfdState.Down;
        RemoteDemandMode = false;
        if (_missedDetections >= 2)
        {
            AuthSeqKnown = false;
            flags |= BfdReactionFlags.StopDetection;
        }
        else
        {
            flags |= BfdReactionFlags.RestartDetection;
        }
        if (TransmitsPeriodically != transmittedBefore || from != State)
        {
            flags |= BfdReactionFlags.TransmitScheduleChanged;
        }
        return new BfdReaction(from, State, LocalDiagnostic, flags);
    }

    /// <summary>§6.8.16: administratively down, diagnostic 7; the peer is told at once and periodically.</summary>
    public BfdReaction AdminDown()
    {
        var from = State;
        if (State == BfdState.AdminDown)
        {
            return new BfdReaction(from, State, LocalDiagnostic, BfdReactionFlags.None);
        }
        if (State == BfdState.Up)
        {
            LeaveUp();
        }
        State = BfdState.AdminDown;
        LocalDiagnostic = BfdDiagnostic.AdministrativelyDown;
        return new BfdReaction(from, State, LocalDiagnostic, BfdReactionFlags.SendNow | BfdReactionFlags.TransmitScheduleChanged);
    }

    /// <summary>§6.8.16: back from AdminDown to Down, "the session can then proceed normally".</summary>
    public BfdReaction AdminUp()
    {
        var from = State;
        if (State != BfdState.AdminDown)
        {
            return new BfdReaction(from, State, LocalDiagnostic, BfdReactionFlags.None);
        }
        State = BfdState.Down;
        LocalDiagnostic = BfdDiagnostic.None;
        return new BfdReaction(from, State, LocalDiagnostic, BfdReactionFlags.SendNow | BfdReactionFlags.TransmitScheduleChanged);
    }

    /// <summary>
    /// New parameters for the running session (a profile change). §6.8.3: a change of Desired Min TX
    /// or Required Min RX starts a Poll Sequence (we also poll on a Detect Mult change, so the peer
    /// confirms it); while Up, a larger transmit interval is used only after the Poll ends and a
    /// smaller receive interval counts for detection only after the Poll ends. The discriminator
    /// and state stay: no flap.
    /// </summary>
    public BfdReaction ChangeParameters(BfdSessionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var old = _parameters;
        var oldAdvertisedTx = AdvertisedTx;
        var intervalBefore = TransmitInterval;
        var transmittedBefore = TransmitsPeriodically;
        _parameters = parameters;
        if (!Equals(old.Auth, parameters.Auth))
        {
            // A new key or type starts a new sequence space (§6.7.1).
            AuthSeqKnown = false;
        }
        var flags = BfdReactionFlags.None;
        var changed = AdvertisedTx != oldAdvertisedTx || parameters.RequiredMinRxInterval != old.RequiredMinRxInterval || parameters.DetectMultiplier != old.DetectMultiplier;
        if (State == BfdState.Up && changed)
        {
            // Increases of our transmit interval and decreases of our receive interval wait for the Final.
            if (AdvertisedTx < _effectiveTx)
            {
                _effectiveTx = AdvertisedTx;
            }
            if (parameters.RequiredMinRxInterval > _effectiveRx)
            {
                _effectiveRx = parameters.RequiredMinRxInterval;
            }
            flags |= StartPoll();
        }
        else if (State != BfdState.Up)
        {
            _effectiveTx = AdvertisedTx;
            _effectiveRx = parameters.RequiredMinRxInterval;
        }
        if (TransmitInterval != intervalBefore || TransmitsPeriodically != transmittedBefore)
        {
            flags |= BfdReactionFlags.TransmitScheduleChanged;
        }
        return new BfdReaction(State, State, LocalDiagnostic, flags);
    }

    // §6.7.3 / §6.7.4: the sequence window first, then the digest; §6.7.2 for a password.
    private BfdDropReason Authenticate(in BfdControlPacket packet, ReadOnlySpan<byte> raw, BfdAuthKey key)
    {
        var section = packet.Auth;
        if (section.Type != key.Type)
        {
            return BfdDropReason.AuthTypeMismatch;
        }
        if (section.IsKeyed && AuthSeqKnown)
        {
            // Keyed: RcvAuthSeq..RcvAuthSeq+3*DetectMult; meticulous: RcvAuthSeq+1..RcvAuthSeq+3*DetectMult,
            // "treated as an unsigned 32-bit circular number space".
            var ahead = unchecked(section.SequenceNumber - RcvAuthSeq);
            var lowest = section.IsMeticulous ? 1u : 0u;
            if (ahead < lowest || ahead > 3u * packet.DetectMultiplier)
            {
                return BfdDropReason.SequenceNumberOutOfWindow;
            }
        }
        var verdict = BfdAuthenticator.Verify(raw[..packet.Length], section, key);
        if (verdict != BfdDropReason.None)
        {
            return verdict;
        }
        if (section.IsKeyed)
        {
            RcvAuthSeq = section.SequenceNumber;
            AuthSeqKnown = true;
        }
        return BfdDropReason.None;
    }

    private void GoUp()
    {
        State = BfdState.Up;
        // The Diag field gives the reason for the last state change; reaching Up has none.
        LocalDiagnostic = BfdDiagnostic.None;
        // §6.8.3: Desired Min TX drops from the 1 s slow rate to the configured value (a decrease:
        // in effect at once); the Poll Sequence started by the caller tells the peer.
        _effectiveTx = AdvertisedTx;
    }

    private void GoDown(BfdDiagnostic diagnostic)
    {
        if (State == BfdState.Up)
        {
            LeaveUp();
        }
        State = BfdState.Down;
        LocalDiagnostic = diagnostic;
    }

    // Back to the slow rate (§6.8.3) and no Poll in flight: the peer is no longer Up with us.
    private void LeaveUp()
    {
        _pollActive = false;
        _pollPending = false;
        _effectiveTx = Math.Max(_parameters.DesiredMinTxInterval, SlowTxInterval);
        _effectiveRx = _parameters.RequiredMinRxInterval;
    }

    // §6.5: one Poll Sequence at a time; a change during one is polled for once it ends.
    private BfdReactionFlags StartPoll()
    {
        if (_pollActive)
        {
            _pollPending = true;
            return BfdReactionFlags.None;
        }
        _pollActive = true;
        return BfdReactionFlags.PollStarted | BfdReactionFlags.TransmitScheduleChanged;
    }

    private BfdReactionFlags CompletePoll()
    {
        _pollActive = false;
        if (_pollPending)
        {
            // The Final answered a Poll sent before the latest change: poll again before relying on it.
            _pollPending = false;
            _pollActive = true;
            return BfdReactionFlags.PollStarted;
        }
        _effectiveTx = AdvertisedTx;
        _effectiveRx = _parameters.RequiredMinRxInterval;
        return BfdReactionFlags.PollCompleted | BfdReactionFlags.TransmitScheduleChanged;
    }
}
