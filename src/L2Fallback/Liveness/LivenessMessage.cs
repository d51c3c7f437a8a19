using System.Collections.Immutable;

namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// One authenticated datagram. <see cref="Epoch"/> (the sender's start time, ms since the Unix
/// epoch) and <see cref="Sequence"/> (per epoch, strictly increasing) let a receiver reject
/// replays. A heartbeat carries the sender's incarnation and what it believes of the receiver
/// (<see cref="ReceiverView"/>), so a node learns it was declared dead from the first heartbeat
/// that reaches it after a partition heals.
/// </summary>
internal sealed record LivenessMessage(
    LivenessMessageType Type,
    string Sender,
    ulong Epoch,
    ulong Sequence,
    ulong SenderIncarnation,
    MemberEntry ReceiverView,
    ImmutableArray<MemberEntry> Entries)
{
    public bool Equals(LivenessMessage? other) =>
        other is not null && Type == other.Type && Sender == other.Sender && Epoch == other.Epoch && Sequence == other.Sequence
        && SenderIncarnation == other.SenderIncarnation && ReceiverView == other.ReceiverView && Entries.SequenceEqual(other.Entries);

    public override int GetHashCode() => HashCode.Combine(Type, Sender, Epoch, Sequence, SenderIncarnation, ReceiverView, Entries.Length);
}
