using BgpLb.L2Fallback.Liveness;

namespace BgpLb.L2Fallback.Tests.Liveness;

/// <summary>
/// Membership instances wired by an in-memory network with a virtual clock: each node ticks every
/// heartbeat interval (staggered), datagrams arrive one 1 ms step after they are sent unless dropped.
/// </summary>
internal sealed class SimulatedCluster
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);
    private readonly LivenessOptions _options;
    private readonly Dictionary<string, Membership> _nodes = [];
    private readonly Dictionary<string, TimeSpan> _nextTick = [];
    private List<LivenessSend> _inFlight = [];
    private readonly HashSet<string> _stopped = [];
    private ulong _epoch = 1_000;

    /// <param name="size">Members n1..nSIZE.</param>
    /// <param name="absent">Members that are configured but never start.</param>
    public SimulatedCluster(int size, params string[] absent)
    {
        _options = new LivenessOptions();
        Names = [.. Enumerable.Range(1, size).Select(i => $"n{i}")];
        for (var i = 0; i < Names.Count; i++)
        {
            if (absent.Contains(Names[i]))
            {
                _nodes[Names[i]] = new Membership(Names[i], Names, _epoch++, _options);
                _nextTick[Names[i]] = TimeSpan.MaxValue;
                _stopped.Add(Names[i]);
                continue;
            }
            Start(Names[i], TimeSpan.FromMilliseconds(i * 7 % _options.HeartbeatInterval.TotalMilliseconds));
        }
    }

    public List<string> Names { get; }

    public TimeSpan Now { get; private set; }

    /// <summary>Drops a datagram when true (from, to, message).</summary>
    public Func<string, string, LivenessMessage, bool> Drop { get; set; } = (_, _, _) => false;

    public long Delivered { get; private set; }

    /// <summary>(time, observer, subject, status) of every change any node saw.</summary>
    public List<(TimeSpan At, string Observer, MemberEntry Change)> Log { get; } = [];

    public Membership this[string name] => _nodes[name];

    public void Start(string name, TimeSpan offset = default)
    {
        _stopped.Remove(name);
        var node = new Membership(name, Names, _epoch++, _options);
        _nodes[name] = node;
        var sends = new List<LivenessSend>();
        node.Start(Now, sends);
        Enqueue(name, sends);
        _nextTick[name] = Now + offset + _options.HeartbeatInterval;
    }

    public void Stop(string name) => _stopped.Add(name);

    /// <summary><paramref name="name"/> speaks again after keeping quiet on purpose (<see cref="Membership.Rejoin"/>).</summary>
    public void Rejoin(string name)
    {
        var sends = new List<LivenessSend>();
        _nodes[name].Rejoin(sends);
        Enqueue(name, sends);
    }

    public bool Sees(string observer, string subject) => _nodes[observer].IsAlive(subject, Now);

    public void Run(TimeSpan duration)
    {
        var end = Now + duration;
        while (Now < end)
        {
            Now += Step;
            // Everything in flight was sent one step ago: deliver it all; what it causes goes out next step.
            var arriving = _inFlight;
            _inFlight = [];
            foreach (var send in arriving)
            {
                var to = send.To;
                if (_stopped.Contains(to))
                {
                    continue;
                }
                Delivered++;
                var sends = new List<LivenessSend>();
                _nodes[to].Receive(send.Message, Now, sends);
                Record(to);
                Enqueue(to, sends);
            }
            foreach (var name in Names.Where(n => !_stopped.Contains(n) && _nextTick[n] <= Now))
            {
                _nextTick[name] += _options.HeartbeatInterval;
                var sends = new List<LivenessSend>();
                _nodes[name].Tick(Now, sends);
                Record(name);
                Enqueue(name, sends);
            }
        }
    }

    private void Record(string observer)
    {
        foreach (var change in _nodes[observer].Changes)
        {
            Log.Add((Now, observer, change));
        }
    }

    private void Enqueue(string from, List<LivenessSend> sends)
    {
        foreach (var send in sends.Where(s => !Drop(from, s.To, s.Message)))
        {
            _inFlight.Add(send);
        }
    }
}
