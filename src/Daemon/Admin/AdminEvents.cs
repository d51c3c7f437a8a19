using System.Threading.Channels;
using BgpLb.Daemon.Runtime;

namespace BgpLb.Daemon.Admin;

/// <summary>
/// Fans the daemon's events out to every watcher (the Watch RPC, a reload waiting for its outcome).
/// Each watcher has a bounded queue that drops its oldest events when it falls behind: a stalled
/// client must never hold up the control loop or a BGP session loop that raised the event.
/// </summary>
internal sealed class AdminEvents : IDisposable
{
    private const int QueueLength = 1024;

    private readonly Lock _lock = new();
    private readonly List<Channel<DaemonEvent>> _watchers = [];
    private readonly DaemonHost _host;
    private readonly TimeProvider _time;

    public AdminEvents(DaemonHost host, TimeProvider time)
    {
        _host = host;
        _time = time;
        host.Changed += Publish;
        host.Speaker.PeerStateChanged += OnPeerStateChanged;
        host.NodeDrain.Changed += OnDrain;
    }

    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<DaemonEvent>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _watchers.Add(channel);
        }
        return new Subscription(this, channel);
    }

    public void Publish(DaemonEvent e)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(e);
            }
        }
    }

    private void OnPeerStateChanged(string peer, BgpSpeaker.Fsm.Transition transition) =>
        Publish(new DaemonEvent(_time.GetUtcNow(), DaemonEvent.SessionChanged, peer, $"{transition.From} -> {transition.To}"));

    private void OnDrain(DrainPhase phase) =>
        Publish(new DaemonEvent(_time.GetUtcNow(), DaemonEvent.Drain, _host.Options.NodeName, phase.ToString()));

    private void Remove(Channel<DaemonEvent> channel)
    {
        lock (_lock)
        {
            _watchers.Remove(channel);
        }
    }

    public void Dispose()
    {
        _host.Changed -= Publish;
        _host.Speaker.PeerStateChanged -= OnPeerStateChanged;
        _host.NodeDrain.Changed -= OnDrain;
    }

    /// <summary>One watcher's queue; disposing it stops the delivery.</summary>
    public sealed class Subscription(AdminEvents events, Channel<DaemonEvent> channel) : IDisposable
    {
        public ChannelReader<DaemonEvent> Reader => channel.Reader;

        public void Dispose() => events.Remove(channel);
    }
}
