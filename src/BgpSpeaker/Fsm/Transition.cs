namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>The result of one event: the state after it and the actions to carry out, in order.</summary>
public sealed record Transition(BgpState From, BgpState To, IReadOnlyList<BgpAction> Actions);
