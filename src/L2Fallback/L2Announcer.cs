using System.Collections.Immutable;
using System.Net;
using BgpLb.L2Fallback.Transport;
using Microsoft.Extensions.Logging;

namespace BgpLb.L2Fallback;

/// <summary>A VIP's first announcement on an interface after it was taken (for status and measurement).</summary>
public readonly record struct AnnouncementEvent(IPAddress Vip, string Interface, DateTimeOffset At);

/// <summary>
/// Answers ARP (RFC 826) and NDP (RFC 4861) for the VIPs this node owns, on the interfaces chosen
/// for each, and announces a VIP (gratuitous ARP, unsolicited NA) the moment it is taken.
/// The caller (election + liveness) says what is owned through <see cref="SetOwned"/>; the
/// announcer holds no opinion about ownership.
/// </summary>
public sealed class L2Announcer : IAsyncDisposable
{
    private readonly ImmutableDictionary<string, LinkInfo> _links;
    private readonly L2AnnouncerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, LinkResponder> _responders = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Func<string, L2Counters> _counters;
    private ImmutableArray<OwnedVip> _owned = [];
    private bool _disposed;

    /// <param name="links">The node's interfaces (<see cref="NetworkLinks.Read"/>); sockets open on them lazily.</param>
    /// <param name="counters">
    /// The counters of an interface, by name; null: new ones per interface. A caller that replaces the
    /// announcer (the daemon, when its interfaces change) passes its own so that no count is lost.
    /// </param>
    public L2Announcer(IEnumerable<LinkInfo> links, L2AnnouncerOptions options, TimeProvider time, ILogger logger, Func<string, L2Counters>? counters = null)
    {
        _counters = counters ?? (_ => new L2Counters());
        ArgumentNullException.ThrowIfNull(links);
        _links = links.ToImmutableDictionary(l => l.Name, StringComparer.Ordinal);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Raised (on the thread pool) once per (VIP, interface) takeover, when the first announcement went out.</summary>
    public event Action<AnnouncementEvent>? Announced;

    /// <summary>What is answered now: per VIP the interfaces it is answered on (the ServiceL2Status view).</summary>
    public ImmutableArray<OwnedVip> Owned
    {
        get
        {
            lock (_lock)
            {
                return _owned;
            }
        }
    }

    /// <summary>Counters of one interface; all zero for an interface that never announced.</summary>
    public L2Counters CountersFor(string interfaceName)
    {
        lock (_lock)
        {
            return _responders.TryGetValue(interfaceName, out var responder) ? responder.Counters : new L2Counters();
        }
    }

    /// <summary>
    /// Replaces the whole owned set. VIPs no longer listed are not answered from the moment this
    /// returns; newly listed ones are announced at once. Interfaces that are not up Ethernet links
    /// of this node are skipped and logged.
    /// </summary>
    public void SetOwned(IEnumerable<OwnedVip> owned)
    {
        ArgumentNullException.ThrowIfNull(owned);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var perInterface = new Dictionary<string, ImmutableHashSet<IPAddress>.Builder>(StringComparer.Ordinal);
            var effective = ImmutableArray.CreateBuilder<OwnedVip>();
            foreach (var vip in owned)
            {
                var used = ImmutableArray.CreateBuilder<string>();
                foreach (var name in vip.Interfaces.Distinct(StringComparer.Ordinal))
                {
                    if (!_links.TryGetValue(name, out var link) || !link.IsEthernet)
                    {
                        Log.NoSuchInterface(_logger, vip.Address, name);
                        continue;
                    }
                    if (!perInterface.TryGetValue(name, out var set))
                    {
                        perInterface[name] = set = ImmutableHashSet.CreateBuilder<IPAddress>();
                    }
                    set.Add(vip.Address);
                    used.Add(name);
                }
                effective.Add(vip with { Interfaces = used.ToImmutable() });
            }
            // Removals first on every interface, so a VIP moving between interfaces is never answered twice.
            foreach (var (name, responder) in _responders)
            {
                var keep = perInterface.TryGetValue(name, out var set) ? responder.Owned.Intersect(set) : [];
                responder.SetOwned(keep);
            }
            foreach (var (name, set) in perInterface)
            {
                if (!_responders.TryGetValue(name, out var responder))
                {
                    _responders[name] = responder = new LinkResponder(_links[name], _options, _time, _logger, OnAnnounced, _counters(name));
                }
                responder.SetOwned(set.ToImmutable());
            }
            _owned = effective.ToImmutable();
        }
    }

    /// <summary>
    /// Announces every owned VIP again, as on a takeover. For when another node may have answered
    /// for them in the meantime, e.g. after a partition healed: neighbours that followed that
    /// node's announcements come back at once instead of after their entries go stale.
    /// </summary>
    public void Reannounce()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var responder in _responders.Values)
            {
                responder.Reannounce();
            }
        }
    }

    /// <summary>
    /// Raised from the thread pool: the first announcement of a takeover goes out under the
    /// announcer's lock (inside <see cref="SetOwned"/>), and a handler that calls back into the
    /// announcer, or takes a lock of its own that is held around such a call, must not run there.
    /// </summary>
    private void OnAnnounced(IPAddress vip, string interfaceName, DateTimeOffset at)
    {
        var handler = Announced;
        if (handler is not null)
        {
            ThreadPool.QueueUserWorkItem(e => handler(e), new AnnouncementEvent(vip, interfaceName, at), preferLocal: false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        LinkResponder[] responders;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _owned = [];
            responders = [.. _responders.Values];
        }
        foreach (var responder in responders)
        {
            await responder.DisposeAsync().ConfigureAwait(false);
        }
    }
}
