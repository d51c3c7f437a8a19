using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Planner;
using BgpLb.L2Fallback;
using BgpLb.L2Fallback.Election;
using BgpLb.L2Fallback.Liveness;
using BgpLb.L2Fallback.Transport;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// The daemon's L2 mode (docs/l2.md): heartbeat liveness between the config's Nodes, the election, and
/// the ARP/NDP announcer, brought in line with each applied config. The heartbeat is restarted only
/// when the membership (names, addresses, key, port) changed and the announcer only when the
/// interfaces did; a reload that changes Services or nodes' labels re-runs the elections in place.
/// Applies, liveness changes and status reads are serialised by one lock, so an election never runs
/// on half of a new config.
/// </summary>
internal sealed class L2Runtime : IAsyncDisposable
{
    /// <summary>Per-Service owner changes at information level up to this many a time; a summary beyond.</summary>
    private const int DetailedChanges = 50;

    private readonly string _self;
    private readonly int _port;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly LivenessOptions _livenessOptions = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string?> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, L2Counters> _counters = new(StringComparer.Ordinal);
    private L2Announcer? _announcer;
    private string _linksKey = "";
    private HeartbeatLiveness? _liveness;
    private ITimer? _graceCheck;
    private string _membershipKey = "";
    private bool _alone;
    private L2Controller? _controller;
    private string? _problem;
    private bool _drained;

    public L2Runtime(string self, int port, ILoggerFactory loggers, ILogger log, TimeProvider time)
    {
        _self = self;
        _port = port;
        _loggers = loggers;
        _log = log;
        _time = time;
    }

    /// <summary>
    /// Brings L2 in line with <paramref name="snapshot"/>; returns the number of warnings logged (1 when
    /// L2Advertisements exist but this node may not answer, with the reason).
    /// </summary>
    public async Task<int> ApplyAsync(ConfigSnapshot snapshot, ImmutableArray<Assignment> assignments, NodeIdentity node)
    {
        if (snapshot.L2Advertisements.IsEmpty)
        {
            await StopAsync("no L2Advertisement in the config", problem: null).ConfigureAwait(false);
            return 0;
        }
        if (L2Membership.Resolve(snapshot, _self, out var problem) is not { } membership)
        {
            Log.L2NotServed(_log, problem!);
            await StopAsync("L2 cannot elect", problem).ConfigureAwait(false);
            return 1;
        }
        if (!await EnsureLivenessAsync(membership).ConfigureAwait(false))
        {
            return 1;
        }
        var links = NetworkLinks.Read();
        var routes = DefaultRoutes.Read();
        await EnsureAnnouncerAsync(links).ConfigureAwait(false);
        var nodes = L2Inputs.Nodes(snapshot);
        var services = L2Inputs.Services(snapshot, assignments, node);
        lock (_gate)
        {
            _problem = null;
            _controller?.Dispose();
            _controller = new L2Controller(_self, _announcer!, IsAlive, links, routes);
            _controller.Update(nodes, services);
            LogOwnerChanges();
        }
        return 0;
    }

    private bool IsAlive(string name) => string.Equals(name, _self, StringComparison.Ordinal)
        ? !_drained && (_alone || _liveness!.IsAlive(name))
        : !_alone && _liveness!.IsAlive(name);

    /// <summary>Starts the heartbeat for <paramref name="membership"/> unless it runs for exactly that already; false when its socket cannot be bound.</summary>
    private async Task<bool> EnsureLivenessAsync(L2Membership membership)
    {
        var key = string.Join(' ', membership.Members.Select(m => m.Name + "=" + m.Address))
            + " key " + Convert.ToHexString(membership.Key.AsSpan()) + " port " + _port.ToString(CultureInfo.InvariantCulture);
        if (string.Equals(key, _membershipKey, StringComparison.Ordinal))
        {
            return true;
        }
        await StopLivenessAsync().ConfigureAwait(false);
        if (membership.Alone)
        {
            _alone = true;
            _membershipKey = key;
            Log.L2Alone(_log);
            return true;
        }
        var own = membership.Members.First(m => m.Name == _self).Address;
        var bind = new IPEndPoint(own.Family == IpFamily.IPv4 ? IPAddress.Any : IPAddress.IPv6Any, _port);
        var liveness = new HeartbeatLiveness(_self, bind,
            membership.Members.Select(m => new LivenessMember(m.Name, new IPEndPoint(m.Address.ToIPAddress(), _port))),
            membership.Key.AsSpan(), _livenessOptions, _time, _loggers.CreateLogger("BgpLb.L2Fallback.Liveness"));
        liveness.Changed += change => OnMemberChanged(liveness, change);
        // A drained node starts silent: the others must not elect it, not even for the first heartbeats.
        liveness.Silent = _drained;
        try
        {
            liveness.Start();
        }
        catch (SocketException e)
        {
            Log.L2HeartbeatFailed(_log, bind.ToString(), e.Message);
            await liveness.DisposeAsync().ConfigureAwait(false);
            await StopAsync("heartbeat failed", $"the heartbeat cannot listen on UDP {bind}: {e.Message}").ConfigureAwait(false);
            return false;
        }
        lock (_gate)
        {
            _liveness = liveness;
            _alone = false;
            // Again under the lock: a drain or undrain may have come while it was being set up.
            liveness.Silent = _drained;
        }
        _membershipKey = key;
        // Members nobody vouched for turn dead when the startup grace ends, without any message: elect again then.
        _graceCheck = _time.CreateTimer(_ => Reconcile(liveness, reannounce: false), null,
            _livenessOptions.StartupGrace + _livenessOptions.HeartbeatInterval, Timeout.InfiniteTimeSpan);
        var names = string.Join(", ", membership.Members.Select(m => m.Name));
        var endpoint = bind.ToString();
        Log.L2HeartbeatStarted(_log, endpoint, membership.Members.Length, names);
        return true;
    }

    private async Task EnsureAnnouncerAsync(ImmutableArray<LinkInfo> links)
    {
        var key = string.Join(' ', links.Select(l => $"{l.Name}/{l.Index}/{l.Mac}/{l.IsUp}/{l.IsEthernet}/{string.Join(',', l.Addresses)}"));
        if (_announcer is not null && string.Equals(key, _linksKey, StringComparison.Ordinal))
        {
            return;
        }
        L2Announcer? old;
        lock (_gate)
        {
            old = _announcer;
            _controller = null;
            _announcer = new L2Announcer(links, new L2AnnouncerOptions(), _time, _loggers.CreateLogger("BgpLb.L2Fallback"),
                name => _counters.GetOrAdd(name, _ => new L2Counters()));
        }
        if (old is not null)
        {
            var up = string.Join(", ", links.Where(l => l.IsUp && l.IsEthernet).Select(l => l.Name));
            Log.L2LinksChanged(_log, up);
            // The new announcer takes the VIPs over right after (the controller's next Update) and announces them again.
            await old.DisposeAsync().ConfigureAwait(false);
        }
        _linksKey = key;
    }

    private void OnMemberChanged(HeartbeatLiveness source, MemberEntry change) =>
        Reconcile(source, reannounce: change.Status == MemberStatus.Alive);

    /// <summary>Elects again after a liveness change of <paramref name="source"/> (ignored when it is no longer the running heartbeat).</summary>
    private void Reconcile(HeartbeatLiveness source, bool reannounce)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(source, _liveness) || _controller is null)
            {
                return;
            }
            _controller.Reconcile();
            if (reannounce)
            {
                // A member (re)appeared, perhaps from the other side of a healed partition where it
                // answered for our VIPs: announce ours again so neighbours come back at once.
                _announcer!.Reannounce();
            }
            LogOwnerChanges();
            Reelected?.Invoke();
        }
    }

    /// <summary>Logs every Service whose owner changed since the last call (under <see cref="_gate"/>).</summary>
    private void LogOwnerChanges()
    {
        var status = _controller!.Status;
        var changes = new List<(L2ServiceStatus Status, string? Previous)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in status)
        {
            seen.Add(service.Key);
            var owner = service.Election.Owner;
            if (!_owners.TryGetValue(service.Key, out var previous) || !string.Equals(previous, owner, StringComparison.Ordinal))
            {
                changes.Add((service, previous));
                _owners[service.Key] = owner;
                OwnerChanged?.Invoke(string.Equals(owner, _self, StringComparison.Ordinal) ? L2OwnerChange.Taken
                    : string.Equals(previous, _self, StringComparison.Ordinal) ? L2OwnerChange.Released : L2OwnerChange.Moved);
            }
        }
        foreach (var gone in _owners.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _owners.Remove(gone);
        }
        foreach (var (service, previous) in changes)
        {
            var vips = string.Join(", ", service.Addresses);
            var owner = service.Election.Owner ?? "nobody";
            var role = RoleText(service);
            if (changes.Count <= DetailedChanges)
            {
                Log.L2OwnerChanged(_log, service.Key, vips, owner, previous ?? "nobody", role);
            }
            else
            {
                Log.L2OwnerChangedDetail(_log, service.Key, vips, owner, previous ?? "nobody", role);
            }
        }
        if (changes.Count > DetailedChanges)
        {
            var answered = status.Sum(s => s.AnsweredHere.Length);
            Log.L2OwnersChanged(_log, changes.Count, answered);
        }
    }

    private string RoleText(L2ServiceStatus service)
    {
        var (role, detail) = RoleOf(service);
        return role == L2Role.Owner ? "owner, " + detail : detail;
    }

    private (L2Role Role, string Detail) RoleOf(L2ServiceStatus service)
    {
        var rank = service.Election.Candidates.IndexOf(_self);
        if (rank == 0)
        {
            return (L2Role.Owner, service.AnsweredHere.IsEmpty ? "answering on no interface"
                : "answering on " + string.Join(", ", service.AnsweredHere.SelectMany(v => v.Interfaces).Distinct(StringComparer.Ordinal)));
        }
        if (rank > 0)
        {
            return (L2Role.Standby, string.Create(CultureInfo.InvariantCulture, $"candidate {rank + 1} of {service.Election.Candidates.Length}"));
        }
        if (_drained)
        {
            return (L2Role.NotCandidate, "not a candidate: this node is drained");
        }
        return (L2Role.NotCandidate, service.Election.Ineligible.TryGetValue(_self, out var reason)
            ? "not a candidate: " + reason
            : "not a candidate: not among the config's Nodes");
    }

    /// <summary>Per address of <paramref name="service"/>, its status line.</summary>
    private IEnumerable<L2VipStatus> ReportOf(L2ServiceStatus service)
    {
        var (role, detail) = RoleOf(service);
        var here = service.AnsweredHere.ToDictionary(v => v.Address, v => v.Interfaces);
        return service.Addresses.Select(a => new L2VipStatus(service.Key, a, service.Election.Owner, here.GetValueOrDefault(a, []), role, detail));
    }

    /// <summary>The ServiceL2Status view: per L2 VIP its owner, this node's interfaces and role; and the heartbeat's members.</summary>
    public L2Report Report()
    {
        lock (_gate)
        {
            if (_controller is null)
            {
                return L2Report.Off with { Problem = _problem };
            }
            return new L2Report(null, [.. _controller.Status.SelectMany(ReportOf)], _liveness?.View ?? []);
        }
    }

    /// <summary>Raised under the runtime's lock for every Service whose owner changed (handlers must be quick).</summary>
    public event Action<L2OwnerChange>? OwnerChanged;

    /// <summary>
    /// Raised under the runtime's lock after the elections ran again on a liveness change (or at the end of the
    /// heartbeat's startup grace): a standby's rank or why this node is no candidate may read otherwise although no
    /// owner changed (handlers must be quick). An apply has the host's own event.
    /// </summary>
    public event Action? Reelected;

    /// <summary>Per interface, what its responders counted since the daemon started (the counters outlive announcer restarts).</summary>
    public IReadOnlyList<KeyValuePair<string, L2Counters>> Counters => [.. _counters];

    /// <summary>The VIPs this node answers ARP/NDP for now, on at least one interface.</summary>
    public int OwnedVips
    {
        get
        {
            lock (_gate)
            {
                return _announcer?.Owned.Count(v => !v.Interfaces.IsEmpty) ?? 0;
            }
        }
    }

    /// <summary>
    /// A drained node leaves every L2 election (docs/operations.md, Drain): it stops answering, and its
    /// heartbeat keeps quiet so the other nodes declare it not alive and elect the next candidate; undrained,
    /// it speaks again and the elections take it back.
    /// </summary>
    public void SetDrained(bool drained)
    {
        lock (_gate)
        {
            if (_drained == drained)
            {
                return;
            }
            _drained = drained;
            if (_liveness is { } liveness)
            {
                liveness.Silent = drained;
            }
            if (_controller is not null)
            {
                _controller.Reconcile();
                LogOwnerChanges();
            }
        }
    }

    /// <summary>Stops answering at once (SIGTERM, or a config without L2), then closes the sockets and stops the heartbeat.</summary>
    public async Task StopAsync(string reason, string? problem)
    {
        L2Announcer? announcer;
        lock (_gate)
        {
            _problem = problem;
            _controller = null;
            announcer = _announcer;
            _announcer = null;
            _linksKey = "";
            _owners.Clear();
        }
        if (announcer is not null)
        {
            announcer.SetOwned([]);
            Log.L2Stopped(_log, reason);
            await announcer.DisposeAsync().ConfigureAwait(false);
        }
        await StopLivenessAsync().ConfigureAwait(false);
    }

    private async Task StopLivenessAsync()
    {
        HeartbeatLiveness? liveness;
        ITimer? grace;
        lock (_gate)
        {
            liveness = _liveness;
            grace = _graceCheck;
            _liveness = null;
            _graceCheck = null;
            _alone = false;
        }
        _membershipKey = "";
        if (grace is not null)
        {
            await grace.DisposeAsync().ConfigureAwait(false);
        }
        if (liveness is not null)
        {
            await liveness.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync("stopping", problem: null).ConfigureAwait(false);
}
