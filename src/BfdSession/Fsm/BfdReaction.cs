using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession.Fsm;

/// <summary>What the transport must do after an event, besides the periodic schedule it reads from the FSM.</summary>
[Flags]
public enum BfdReactionFlags
{
    None = 0,

    /// <summary>Send a Control packet now (a state change, or the start of an AdminDown notice).</summary>
    SendNow = 1,

    /// <summary>§6.8.7: answer a Poll with a Final "as soon as practicable", whatever the timers or state.</summary>
    SendFinal = 2,

    /// <summary>A valid packet arrived: (re)start the detection timer with <see cref="BfdFsm.DetectionTime"/>.</summary>
    RestartDetection = 4,

    /// <summary>Stop the detection timer (the session left Init/Up and nothing more is expected).</summary>
    StopDetection = 8,

    /// <summary>The transmission interval or whether to transmit changed: re-plan the next periodic packet.</summary>
    TransmitScheduleChanged = 16,

    /// <summary>A Poll Sequence started (§6.5): the next periodic packets carry P.</summary>
    PollStarted = 32,

    /// <summary>A Final ended the Poll Sequence; new intervals are fully in effect (§6.8.3).</summary>
    PollCompleted = 64,
}

/// <summary>
/// The outcome of one FSM event: the state before and after, the diagnostic in effect, what to do
/// now, and, for a received packet that was discarded, why.
/// </summary>
public readonly record struct BfdReaction(BfdState From, BfdState To, BfdDiagnostic Diagnostic, BfdReactionFlags Flags, BfdDropReason Dropped = BfdDropReason.None)
{
    public bool StateChanged => From != To;

    public bool Has(BfdReactionFlags flag) => (Flags & flag) == flag;
}
