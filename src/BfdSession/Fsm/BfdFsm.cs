using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession.Fsm;

/// <summary>
/// One BFD session's state machine (RFC 5880 §6.2, §6.8): the state variables of §6.8.1, reception
/// (§6.8.6), timer negotiation (§6.8.2–§6.8.4), Poll Sequences (§6.5) and the contents of the
/// packets to send (§6.8.7). Pure: it owns no socket, clock or timer. The transport feeds it
/// received packets and timer expiries and reads back what to do (<see cref="BfdReaction"/>), when
/// to send next (<see cref="NextTransmitDelay"/>) and how long to wait for the peer
/// (<see cref="DetectionTime"/>). Jitter (§6.8.7) comes from the injected <see cref="Random"/>.
/// Not thread-safe: the transport serialises calls.
/// We never ask for Demand mode (bfd.DemandMode stays 0) but honour a peer that does (§6.6).
/// Echo is not implemented: Required Min Echo RX Interval is sent as 0 (§6.8.9 "not willing").
/// </summary>
public sealed partial class BfdFsm
{
    /// <summary>§6.8.3: bfd.DesiredMinTxInterval is at least one second while the session is not Up.</summary>
    public const uint SlowTxInterval = 1_000_000;

    /// <summary>§6.8.1: bfd.RemoteMinRxInterval "MUST be initialized to 1".</summary>
    private const uint InitialRemoteMinRx = 1;

    private readonly Random _random;
    private BfdSessionParameters _parameters;

    // §6.8.3 holds: the values in effect while a Poll Sequence for a change is under way.
    private uint _effectiveTx;
    private uint _effectiveRx;
    private bool _pollActive;
    private bool _pollPending;
    private int _missedDetections;

    public BfdFsm(BfdSessionParameters parameters, uint localDiscriminator, Random random)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(random);
        if (localDiscriminator == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(localDiscriminator), "§6.8.1: bfd.LocalDiscr MUST be nonzero.");
        }
        _parameters = parameters;
        _random = random;
        LocalDiscriminator = localDiscriminator;
        // §6.8.1: bfd.XmitAuthSeq "MUST be initialized to a random 32-bit value".
        XmitAuthSeq = (uint)random.NextInt64(0, 1L << 32);
        _effectiveTx = AdvertisedTx;
        _effectiveRx = parameters.RequiredMinRxInterval;
    }

    // ---- §6.8.1 state variables ----

    public BfdState State { get; private set; } = BfdState.Down;
    public BfdState RemoteState { get; private set; } = BfdState.Down;
    public uint LocalDiscriminator { get; }
    public uint RemoteDiscriminator { get; private set; }
    public BfdDiagnostic LocalDiagnostic { get; private set; }
    public uint RemoteMinRxInterval { get; private set; } = InitialRemoteMinRx;
    public bool RemoteDemandMode { get; private set; }
    public uint RcvAuthSeq { get; private set; }
    public uint XmitAuthSeq { get; private set; }
    public bool AuthSeqKnown { get; private set; }

    // ---- what the peer last told us ----

    public uint RemoteDesiredMinTxInterval { get; private set; }
    public byte RemoteDetectMultiplier { get; private set; }
    public BfdDiagnostic RemoteDiagnostic { get; private set; }

    public BfdSessionParameters Parameters => _parameters;

    public bool PollActive => _pollActive;

    /// <summary>bfd.DesiredMinTxInterval as sent: the configured value, or 1 s while not Up (§6.8.3).</summary>
    public uint AdvertisedTx => State == BfdState.Up ? _parameters.DesiredMinTxInterval : Math.Max(_parameters.DesiredMinTxInterval, SlowTxInterval);

    /// <summary>§6.8.2/§6.8.7: the agreed interval before jitter, max(our Desired Min TX in effect, the peer's Required Min RX).</summary>
    public TimeSpan TransmitInterval => TimeSpan.FromMicroseconds(Math.Max(_effectiveTx, RemoteMinRxInterval));

    /// <summary>
    /// §6.8.4 (Asynchronous mode): the peer's Detect Mult times max(our Required Min RX in effect,
    /// the peer's last Desired Min TX). Zero until a packet has been received.
    /// </summary>
    public TimeSpan DetectionTime => TimeSpan.FromMicroseconds((long)RemoteDetectMultiplier * Math.Max(_effectiveRx, RemoteDesiredMinTxInterval));

    /// <summary>
    /// §6.8.7: whether periodic Control packets go out: not while passive and the peer is unknown
    /// (§6.1), not when the peer's Required Min RX is 0, and not while the peer is in Demand mode with
    /// both sides Up, unless a Poll Sequence needs those packets (§6.6).
    /// </summary>
    public bool TransmitsPeriodically =>
        !(_parameters.Passive && RemoteDiscriminator == 0) &&
        RemoteMinRxInterval != 0 &&
        !(RemoteDemandMode && State == BfdState.Up && RemoteState == BfdState.Up && !_pollActive);

    /// <summary>
    /// §6.8.7: the delay before the next periodic packet: <see cref="TransmitInterval"/> less 0–25 %
    /// jitter, or 10–25 % when bfd.DetectMult is 1, so no packet is ever late by design.
    /// </summary>
    public TimeSpan NextTransmitDelay()
    {
        var interval = TransmitInterval.Ticks;
        var maxPercent = _parameters.DetectMultiplier == 1 ? 90 : 100;
        var percent = 75 + (_random.NextDouble() * (maxPercent - 75));
        return TimeSpan.FromTicks((long)(interval * percent / 100));
    }

    /// <summary>
    /// §6.8.7: the Control packet to send now. <paramref name="final"/> answers a Poll (P and F are
    /// never both set). Advances bfd.XmitAuthSeq for keyed authentication (every packet: required
    /// for the meticulous types, allowed for the others).
    /// </summary>
    public BfdControlPacket NextPacket(bool final)
    {
        var auth = _parameters.Auth;
        BfdAuthSection section = default;
        if (auth is not null)
        {
            if (auth.Type != BfdAuthType.SimplePassword)
            {
                XmitAuthSeq++;
            }
            section = auth.Section(XmitAuthSeq);
        }
        var packet = new BfdControlPacket
        {
            Version = BfdControlPacket.ProtocolVersion,
            Diagnostic = LocalDiagnostic,
            State = State,
            Poll = _pollActive && !final,
            Final = final,
            AuthenticationPresent = auth is not null,
            DetectMultiplier = _parameters.DetectMultiplier,
            MyDiscriminator = LocalDiscriminator,
            YourDiscriminator = RemoteDiscriminator,
            DesiredMinTxInterval = AdvertisedTx,
            RequiredMinRxInterval = _parameters.RequiredMinRxInterval,
            RequiredMinEchoRxInterval = 0,
            Auth = section,
        };
        return packet with { Length = (byte)BfdPacketWriter.Measure(packet) };
    }
}
