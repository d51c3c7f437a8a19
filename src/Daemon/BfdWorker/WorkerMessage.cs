using System.Net;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;

namespace BgpLb.Daemon.BfdWorker;

/// <summary>
/// What the daemon and its BFD worker process (<c>bgplb bfd-worker</c>) say to each other over the
/// worker's standard input and output (<see cref="WorkerCodec"/>). Requests go down, each answered in
/// order by exactly one reply; state changes come up whenever they happen. A session is named by an
/// id the daemon chooses, never reused while the session exists.
/// </summary>
internal abstract record WorkerMessage(uint Id)
{
    public abstract WorkerFrameType Type { get; }
}

/// <summary>Request: create the session, or change its profile in place (a Poll Sequence). Reply: <see cref="SessionConfigured"/> or <see cref="SessionRefused"/>.</summary>
internal sealed record ConfigureSession(uint Id, BfdPeer Peer, BfdProfile Profile) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Configure;
}

/// <summary>Request: take the session AdminDown and close it (RFC 5880 §6.8.16). Reply: <see cref="SessionRemoved"/>.</summary>
internal sealed record RemoveSession(uint Id) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Remove;
}

/// <summary>Request: the session's state, timers and counters. Reply: <see cref="SessionStatusReport"/>.</summary>
internal sealed record QuerySession(uint Id) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Query;
}

/// <summary>Reply: the session exists with this profile and is in <paramref name="State"/>.</summary>
internal sealed record SessionConfigured(uint Id, BfdState State) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Configured;
}

/// <summary>Reply: the session was closed (or there was none).</summary>
internal sealed record SessionRemoved(uint Id) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Removed;
}

/// <summary>Reply: the session could not be configured (a field out of range, a socket error), and why.</summary>
internal sealed record SessionRefused(uint Id, string Reason) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Refused;
}

/// <summary>Event: a session changed state (<see cref="BfdStateChange"/> without the peer, which the id names).</summary>
internal sealed record SessionStateChanged(uint Id, BfdState From, BfdState To, BfdDiagnostic Diagnostic, BfdDiagnostic RemoteDiagnostic, DateTimeOffset At) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.StateChanged;
}

/// <summary>Reply to <see cref="QuerySession"/>: null <paramref name="Status"/> when there is no such session.</summary>
internal sealed record SessionStatusReport(uint Id, WorkerSessionStatus? Status) : WorkerMessage(Id)
{
    public override WorkerFrameType Type => WorkerFrameType.Status;
}

/// <summary>The parts of <see cref="BfdSessionStatus"/> that cross the process boundary.</summary>
internal sealed record WorkerSessionStatus
{
    public required BfdState State { get; init; }
    public required BfdState RemoteState { get; init; }
    public required BfdDiagnostic LocalDiagnostic { get; init; }
    public required BfdDiagnostic RemoteDiagnostic { get; init; }
    public required uint LocalDiscriminator { get; init; }
    public required uint RemoteDiscriminator { get; init; }

    /// <summary>RFC 5880 §6.8.2, before jitter.</summary>
    public required TimeSpan TransmitInterval { get; init; }

    /// <summary>RFC 5880 §6.8.4.</summary>
    public required TimeSpan DetectionTime { get; init; }

    public required int RemoteDetectMultiplier { get; init; }
    public required long PacketsSent { get; init; }
    public required long PacketsReceived { get; init; }
    public required long PollSequences { get; init; }
    public required long UpTransitions { get; init; }
    public required long DownTransitions { get; init; }
    public required long Dropped { get; init; }

    public static WorkerSessionStatus From(BfdSessionStatus s) => new()
    {
        State = s.State,
        RemoteState = s.RemoteState,
        LocalDiagnostic = s.LocalDiagnostic,
        RemoteDiagnostic = s.RemoteDiagnostic,
        LocalDiscriminator = s.LocalDiscriminator,
        RemoteDiscriminator = s.RemoteDiscriminator,
        TransmitInterval = s.TransmitInterval,
        DetectionTime = s.DetectionTime,
        RemoteDetectMultiplier = s.RemoteDetectMultiplier,
        PacketsSent = s.Counters.PacketsSent,
        PacketsReceived = s.Counters.PacketsReceived,
        PollSequences = s.Counters.PollSequences,
        UpTransitions = s.Counters.UpTransitions,
        DownTransitions = s.Counters.DownTransitions,
        Dropped = s.Counters.DroppedTotal,
    };
}

/// <summary>Frame types (one octet after the length); requests below 0x80, replies and events above.</summary>
internal enum WorkerFrameType : byte
{
    Configure = 0x01,
    Remove = 0x02,
    Query = 0x03,
    Configured = 0x81,
    Removed = 0x82,
    Refused = 0x83,
    StateChanged = 0x84,
    Status = 0x85,
}

/// <summary>Why a frame was refused: the stream is broken (the two ends disagree), so the reader stops.</summary>
internal enum WorkerFrameError
{
    None,
    LengthZero,
    LengthTooLarge,
    UnknownType,
    Truncated,
    TrailingBytes,
    BadAddressFamily,
    BadInterfaceName,
    BadAuthType,
    BadSecretLength,
    BadState,
    BadFlags,
    BadReason,
    BadTimestamp,
}

/// <summary>An IP address of a known family as it travels: 4 or 16 octets after a family octet.</summary>
internal static class WorkerAddress
{
    public const byte V4 = 4;
    public const byte V6 = 6;

    public static byte FamilyOf(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? V6 : V4;
}
