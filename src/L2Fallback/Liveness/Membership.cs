using System.Collections.Immutable;

namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// Who is alive, as this node believes. Pure: the transport feeds it datagrams and ticks with a
/// monotonic "now" and sends what it returns; no socket, timer or clock inside.
///
/// Detection: the members form a ring in name order. Every <see cref="LivenessOptions.HeartbeatInterval"/>
/// each node heartbeats its next <see cref="LivenessOptions.Watchers"/> alive successors (and the dead
/// members it skips on the way, so a healed partition is noticed), and checks its as many alive
/// predecessors: one silent for <see cref="LivenessOptions.DeadAfter"/> is declared dead.
/// Dissemination: a change is broadcast to every member (repeated against loss), each node
/// sends its whole view to one member per <see cref="LivenessOptions.SyncInterval"/>, and SWIM's
/// incarnation rule settles conflicting claims: a member declared dead refutes it by raising its
/// incarnation, so once a partition heals every node converges on the same alive set, and so
/// the same election result.
/// </summary>
internal sealed class Membership
{
    private readonly LivenessOptions _options;
    private readonly ImmutableArray<string> _ring;
    private readonly int _selfIndex;
    private readonly Dictionary<string, State> _members = new(StringComparer.Ordinal);
    private readonly List<(MemberEntry Entry, int Left)> _pending = [];
    private ulong _sequence;
    private TimeSpan _nextSync;
    private int _syncCursor;
    private TimeSpan _startedAt;
    private bool _graceOver;

    private sealed class State
    {
        public ulong Incarnation;
        public MemberStatus Status;
        public TimeSpan LastHeard = TimeSpan.MinValue;
        public TimeSpan WatchedSince = TimeSpan.MinValue;
        public ulong LastEpoch;
        public ulong LastSequence;
    }

    public Membership(string self, IEnumerable<string> members, ulong epoch, LivenessOptions options)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(members);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Self = self;
        Epoch = epoch;
        Incarnation = epoch;
        _ring = [.. members.Append(self).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        _selfIndex = _ring.IndexOf(self);
        foreach (var name in _ring.Where(n => n != self))
        {
            _members[name] = new State();
        }
    }

    public string Self { get; }

    public ulong Epoch { get; }

    /// <summary>This node's own incarnation: its epoch, raised by one for each refuted death.</summary>
    public ulong Incarnation { get; private set; }

    public ImmutableArray<string> Members => _ring;

    /// <summary>Members whose status changed in the last call, for the caller to re-run elections.</summary>
    public List<MemberEntry> Changes { get; } = [];

    public MemberStatus StatusOf(string name) =>
        name == Self ? MemberStatus.Alive : _members.TryGetValue(name, out var s) ? s.Status : MemberStatus.Dead;

    /// <summary>Alive, or still unknown within the startup grace (deferring to a member that may be up).</summary>
    public bool IsAlive(string name, TimeSpan now) => StatusOf(name) switch
    {
        MemberStatus.Alive => true,
        MemberStatus.Unknown => now - _startedAt < _options.StartupGrace,
        _ => false,
    };

    public MemberEntry EntryOf(string name) => name == Self
        ? new MemberEntry(Self, Incarnation, MemberStatus.Alive)
        : new MemberEntry(name, _members[name].Incarnation, _members[name].Status);

    /// <summary>Announces this node to every member; each answers with its view.</summary>
    public void Start(TimeSpan now, List<LivenessSend> sends)
    {
        _startedAt = now;
        _nextSync = now + _options.SyncInterval;
        Queue(EntryOf(Self));
        FlushPending(sends);
    }

    /// <summary>
    /// This node speaks again after keeping quiet on purpose: the others may hold it dead at its current
    /// incarnation, so it raises it (as it does to refute a death it hears of) and broadcasts itself.
    /// </summary>
    public void Rejoin(List<LivenessSend> sends)
    {
        Incarnation++;
        Queue(EntryOf(Self));
        FlushPending(sends);
    }

    public void Tick(TimeSpan now, List<LivenessSend> sends)
    {
        Changes.Clear();
        if (!_graceOver && now - _startedAt >= _options.StartupGrace)
        {
            _graceOver = true;
            foreach (var (name, state) in _members.Where(m => m.Value.Status == MemberStatus.Unknown))
            {
                // Nobody vouched for it since we started: treat as dead until it speaks.
                Set(name, state, state.Incarnation, MemberStatus.Dead);
            }
        }
        foreach (var name in Watched())
        {
            var state = _members[name];
            if (state.WatchedSince == TimeSpan.MinValue)
            {
                state.WatchedSince = now;
            }
            var since = state.LastHeard > state.WatchedSince ? state.LastHeard : state.WatchedSince;
            if (now - since >= _options.DeadAfter)
            {
                Set(name, state, state.Incarnation, MemberStatus.Dead);
                Queue(EntryOf(name));
            }
        }
        foreach (var name in Successors())
        {
            sends.Add(new LivenessSend(name, Message(LivenessMessageType.Heartbeat, EntryOf(name), [])));
        }
        FlushPending(sends);
        if (now >= _nextSync && _members.Count > 0)
        {
            _nextSync = now + _options.SyncInterval;
            var to = _ring[(_selfIndex + 1 + (_syncCursor++ % _members.Count)) % _ring.Length];
            SendView(to, sends);
        }
    }

    public LivenessDropReason Receive(LivenessMessage message, TimeSpan now, List<LivenessSend> sends)
    {
        ArgumentNullException.ThrowIfNull(message);
        Changes.Clear();
        if (message.Sender == Self)
        {
            return LivenessDropReason.FromSelf;
        }
        if (!_members.TryGetValue(message.Sender, out var sender))
        {
            return LivenessDropReason.UnknownSender;
        }
        // Replay protection: a new process has a later epoch; within one, sequences only grow.
        if (message.Epoch < sender.LastEpoch || (message.Epoch == sender.LastEpoch && message.Sequence <= sender.LastSequence))
        {
            return LivenessDropReason.Replayed;
        }
        var firstFromThisProcess = message.Epoch != sender.LastEpoch;
        sender.LastEpoch = message.Epoch;
        sender.LastSequence = message.Sequence;
        sender.LastHeard = now;
        var wasAlive = sender.Status == MemberStatus.Alive;
        Apply(new MemberEntry(message.Sender, message.SenderIncarnation, MemberStatus.Alive));
        if (sender.Status == MemberStatus.Dead)
        {
            // It speaks, but we hold a death at its incarnation or later: tell it, so it refutes.
            sends.Add(new LivenessSend(message.Sender, Message(LivenessMessageType.Update, default, [EntryOf(message.Sender)])));
        }
        if (message.Type == LivenessMessageType.Heartbeat)
        {
            if (message.ReceiverView.Name == Self)
            {
                Apply(message.ReceiverView);
            }
        }
        else
        {
            foreach (var entry in message.Entries)
            {
                Apply(entry);
            }
        }
        if ((firstFromThisProcess || !wasAlive) && sender.Status == MemberStatus.Alive && message.Type == LivenessMessageType.Update
            && IsRingSuccessor(message.Sender))
        {
            // A (re)started or returning member gets our whole view now rather than at the next sync,
            // from its ring predecessors only: Watchers views, not one per member (N² on a cold start).
            SendView(message.Sender, sends);
        }
        FlushPending(sends);
        return LivenessDropReason.None;
    }

    /// <summary>SWIM precedence (Das et al. 2002, §4.2): Alive(i) beats anything older than i; Dead(i) beats Alive(j ≤ i).</summary>
    private void Apply(MemberEntry entry)
    {
        if (entry.Name == Self)
        {
            if (entry.Status == MemberStatus.Dead && entry.Incarnation >= Incarnation)
            {
                Incarnation = entry.Incarnation + 1;
                Queue(EntryOf(Self));
            }
            return;
        }
        if (!_members.TryGetValue(entry.Name, out var state) || entry.Status == MemberStatus.Unknown)
        {
            return;
        }
        var newer = entry.Status switch
        {
            MemberStatus.Alive => entry.Incarnation > state.Incarnation || (state.Status == MemberStatus.Unknown && entry.Incarnation >= state.Incarnation),
            _ => entry.Incarnation > state.Incarnation || (entry.Incarnation == state.Incarnation && state.Status != MemberStatus.Dead),
        };
        if (newer)
        {
            Set(entry.Name, state, entry.Incarnation, entry.Status);
        }
    }

    private void Set(string name, State state, ulong incarnation, MemberStatus status)
    {
        var changed = state.Status != status;
        state.Incarnation = incarnation;
        state.Status = status;
        if (status != MemberStatus.Alive)
        {
            // Watching starts afresh (with a full DeadAfter of grace) when it is alive again.
            state.WatchedSince = TimeSpan.MinValue;
        }
        if (changed)
        {
            Changes.Add(new MemberEntry(name, incarnation, status));
        }
    }

    /// <summary>Ring successors to heartbeat: up to <see cref="LivenessOptions.Watchers"/> alive ones and every non-alive one passed on the way.</summary>
    private List<string> Successors() => Walk(+1, includeSkipped: true);

    /// <summary>Ring predecessors to watch: the first <see cref="LivenessOptions.Watchers"/> alive ones.</summary>
    private List<string> Watched() => Walk(-1, includeSkipped: false);

    private List<string> Walk(int step, bool includeSkipped)
    {
        var result = new List<string>();
        var alive = 0;
        for (var i = 1; i < _ring.Length && alive < _options.Watchers; i++)
        {
            var name = _ring[(((_selfIndex + (step * i)) % _ring.Length) + _ring.Length) % _ring.Length];
            if (_members[name].Status == MemberStatus.Alive)
            {
                alive++;
                result.Add(name);
            }
            else if (includeSkipped)
            {
                result.Add(name);
            }
        }
        return result;
    }

    private bool IsRingSuccessor(string name)
    {
        var distance = ((_ring.IndexOf(name) - _selfIndex) % _ring.Length + _ring.Length) % _ring.Length;
        return distance >= 1 && distance <= _options.Watchers;
    }

    private void Queue(MemberEntry entry)
    {
        _pending.RemoveAll(p => p.Entry.Name == entry.Name);
        _pending.Add((entry, _options.UpdateRepeats));
    }

    private void FlushPending(List<LivenessSend> sends)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var entries = _pending.Select(p => p.Entry).ToImmutableArray();
        foreach (var name in _members.Keys)
        {
            sends.Add(new LivenessSend(name, Message(LivenessMessageType.Update, default, entries)));
        }
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var (entry, left) = _pending[i];
            if (left <= 1)
            {
                _pending.RemoveAt(i);
            }
            else
            {
                _pending[i] = (entry, left - 1);
            }
        }
    }

    private void SendView(string to, List<LivenessSend> sends)
    {
        var budget = LivenessCodec.MaxDatagram - LivenessCodec.HeaderAndTagLength(Self) - 1;
        var chunk = ImmutableArray.CreateBuilder<MemberEntry>();
        var used = 0;
        foreach (var name in _ring)
        {
            var entry = EntryOf(name);
            if (entry.Status == MemberStatus.Unknown)
            {
                continue;
            }
            var length = LivenessCodec.EntryLength(entry);
            if (chunk.Count > 0 && (used + length > budget || chunk.Count == LivenessCodec.MaxEntriesPerUpdate))
            {
                sends.Add(new LivenessSend(to, Message(LivenessMessageType.Update, default, chunk.ToImmutable())));
                chunk.Clear();
                used = 0;
            }
            chunk.Add(entry);
            used += length;
        }
        if (chunk.Count > 0)
        {
            sends.Add(new LivenessSend(to, Message(LivenessMessageType.Update, default, chunk.ToImmutable())));
        }
    }

    private LivenessMessage Message(LivenessMessageType type, MemberEntry receiverView, ImmutableArray<MemberEntry> entries) =>
        new(type, Self, Epoch, ++_sequence, Incarnation, receiverView, entries);
}
