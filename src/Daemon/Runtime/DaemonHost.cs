using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using BgpLb.Allocator;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Planner;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>What <c>bgplb run</c> was asked to do.</summary>
public sealed record RunOptions(string ConfigPath, string StatePath, string NodeName)
{
    /// <summary>TCP port for peers that connect to us; 0: do not listen.</summary>
    public int BgpPort { get; init; } = PeerEndpoint.BgpPort;

    /// <summary>Quiet time after a file change before reloading: editors write a file in several steps.</summary>
    public TimeSpan ReloadDebounce { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// When a quiet time ends at the latest after its first request, however many follow: with the default
    /// (equal to <see cref="ReloadDebounce"/>) the quiet time is not extended by later requests; a source whose
    /// changes come in streams (watch events) extends it up to this, so a burst is one apply and a steady stream
    /// still applies at this pace.
    /// </summary>
    public TimeSpan? ReloadDebounceLimit { get; init; }

    /// <summary>Where the configuration and the addresses come from when not from <see cref="ConfigPath"/> through the allocator and <see cref="StatePath"/>.</summary>
    public ISnapshotSource? Source { get; init; }

    /// <summary>Where a drain is kept across restarts; null: beside <see cref="StatePath"/>.</summary>
    public string? DrainPath { get; init; }

    /// <summary>UDP port of the L2 heartbeat between the daemons of the config's Nodes (docs/l2.md); MetalLB's memberlist port by default.</summary>
    public int HeartbeatPort { get; init; } = DefaultHeartbeatPort;

    public const int DefaultHeartbeatPort = 7946;

    /// <summary>How long a drain announces GRACEFUL_SHUTDOWN before withdrawing (RFC 8326: time for the peers to move traffic).</summary>
    public TimeSpan DrainWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the peers get to receive our Cease on stop.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Creates the BGP sockets (tests open them in a network namespace of their own); null: ordinary sockets.</summary>
    internal Func<System.Net.Sockets.AddressFamily, System.Net.Sockets.Socket>? SocketFactory { get; init; }

    /// <summary>Creates the UDP probe that finds a BFD session's local address; null: an ordinary socket.</summary>
    internal Func<System.Net.Sockets.AddressFamily, System.Net.Sockets.Socket>? UdpSocketFactory { get; init; }

    /// <summary>The BFD worker's command line (tests run it in a network namespace of their own); null: this program's <c>bfd-worker</c>.</summary>
    internal IReadOnlyList<string>? BfdWorkerCommand { get; init; }
}

/// <summary>
/// The standalone daemon: config → allocator (restored from the state file) → planner → BGP speaker.
/// One control loop applies the first config and every reload in turn; a reload that is invalid is
/// logged and dropped, and the last good config keeps running with every route it announced.
/// </summary>
public sealed class DaemonHost : IAsyncDisposable
{
    /// <summary>RFC 9003 shutdown communication: what the router's operator reads (BIRD: show protocols all).</summary>
    public const string ShutdownCommunication = "bgplb shutting down";

    /// <summary>Per-Service log lines at information level up to this many changes per apply; a summary beyond (a 100,000-Service start must not write 100,000 lines).</summary>
    private const int DetailedChanges = 50;

    /// <summary>How many Services an allocation pass must change, or a plan built whole must hold (routes and notices), before a full collection follows (<see cref="Compact"/>).</summary>
    private const int CompactAfter = 10_000;

    /// <summary>How long the control loop waits for the next request before an idle-time <see cref="Compact"/> (<see cref="NextRequestAsync"/>).</summary>
    internal static readonly TimeSpan IdleCompactDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Journal lines (changed assignments) before the state file is written whole again, at least; more with many Services.</summary>
    private const int JournalLimit = 4096;

    private readonly RunOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly IpAllocator _allocator = new();
    private readonly BgpSpeaker.BgpSpeaker _speaker;
    private readonly StateFile _state;
    private readonly BfdCoupling _bfd;
    private readonly L2Runtime _l2;
    private readonly Runtime.Drain _drain;
    private readonly ConfigCache _configCache;
    private readonly Channel<(string Reason, bool Immediate)> _reloads = Channel.CreateUnbounded<(string, bool)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, (PeerOptions Options, PeerEndpoint Endpoint)> _peers = new(StringComparer.Ordinal);
    private ImmutableArray<Assignment> _saved = [];
    private ImmutableArray<Assignment> _assignments;
    private readonly Dictionary<(IpAddress Peer, IpAddress? Configured, IpAddress? Source), uint> _routerIds = [];
    private Plan? _plan;
    private int _vips;
    private string? _poolsKey;
    private bool _restarted;
    private bool _firstApply = true;
    private bool _compactWhenIdle;

    /// <param name="configCache">The cache the first load used, so that the first reload takes over its unchanged files too.</param>
    public DaemonHost(RunOptions options, ILoggerFactory loggers, TimeProvider time, ConfigCache? configCache = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _time = time;
        _log = loggers.CreateLogger("BgpLb.Daemon");
        _speaker = new BgpSpeaker.BgpSpeaker(time, loggers: loggers);
        _state = new StateFile(options.StatePath);
        _configCache = configCache ?? new ConfigCache();
        _bfd = new BfdCoupling(_speaker, _log, options.BfdWorkerCommand ?? BfdWorker.BfdWorkerCommand.DefaultCommandLine(), options.UdpSocketFactory);
        _l2 = new L2Runtime(options.NodeName, options.HeartbeatPort, loggers, _log, time);
        _drain = new Runtime.Drain(_speaker, options.DrainPath ?? Runtime.Drain.PathBeside(options.StatePath), options.DrainWait, time, _log);
        CoupleDrainToL2();
    }

    /// <summary>
    /// A drain takes this node out of the L2 elections from its start (RFC 8326's wait is for BGP
    /// routers; for ARP/NDP the next owner's announcement is the graceful move, while this node still
    /// forwards what clients send it meanwhile), and a drain restored from its file keeps it out.
    /// </summary>
    private void CoupleDrainToL2()
    {
        _l2.SetDrained(_drain.Phase != DrainPhase.Serving);
        _drain.Changed += phase => _l2.SetDrained(phase != DrainPhase.Serving);
    }

    /// <summary>The L2 runtime (for metrics: its counters and ownership changes).</summary>
    internal L2Runtime Layer2 => _l2;

    /// <summary>The BFD sessions of the BGP peers (for metrics: their Down events).</summary>
    internal BfdCoupling Bfd => _bfd;

    public RunOptions Options => _options;

    /// <summary>The BFD sessions, by BGP peer key, as the BFD worker reports them now (for status).</summary>
    internal Task<IReadOnlyList<BfdSessionView>> BfdStatusAsync(CancellationToken cancellationToken) => _bfd.StatusAsync(cancellationToken);

    /// <summary>The ServiceL2Status view: per L2 VIP the owner, this node's interfaces and role (for the admin API).</summary>
    public L2Report Layer2Status() => _l2.Report();

    /// <summary>Drain and undrain (RFC 8326) of this node's routes.</summary>
    public Runtime.Drain NodeDrain => _drain;

    /// <summary>The plan of the last apply (for status: what each peer is given, and why a Service goes nowhere).</summary>
    public Plan? LastPlan => _plan;

    /// <summary>Every assignment as of the last apply.</summary>
    public ImmutableArray<Assignment> Assignments => _assignments.IsDefault ? [] : _assignments;

    /// <summary>Pool usage as of the last apply (read on the control loop, which owns the allocator).</summary>
    public ImmutableArray<PoolStatus> PoolUsage { get; private set; } = [];

    /// <summary>With a <see cref="RunOptions.Source"/>: the Services whose addresses are not announced, and why, as of the last apply.</summary>
    public ImmutableArray<UnassignedService> Unassigned { get; private set; } = [];

    /// <summary>When the running configuration was applied.</summary>
    public DateTimeOffset? ConfigAppliedAt { get; private set; }

    /// <summary>The last rejected reload since the running configuration was applied: when, and its errors.</summary>
    public (DateTimeOffset Time, ImmutableArray<string> Errors)? LastRejected { get; private set; }

    /// <summary>Raised on the control loop for config reloads and allocation changes (the admin API streams them).</summary>
    public event Action<DaemonEvent>? Changed;

    /// <summary>Raised on the control loop for every Service whose allocation failed, with why (each one, however many: metrics count them).</summary>
    public event Action<AllocationErrorKind>? AllocationFailed;

    /// <summary>The running configuration (the last good one).</summary>
    public ConfigSnapshot? Current { get; private set; }

    public BgpSpeaker.BgpSpeaker Speaker => _speaker;

    /// <summary>
    /// Asks the control loop to reload the configuration. <paramref name="immediate"/>: the operator
    /// says the files are complete (SIGHUP), so no quiet time is waited for; a file change waits
    /// <see cref="RunOptions.ReloadDebounce"/>, since a file being written may parse as a valid but
    /// truncated config that would withdraw what its missing part announced.
    /// </summary>
    public void RequestReload(string reason, bool immediate) => _reloads.Writer.TryWrite((reason, immediate));

    /// <summary>
    /// Applies <paramref name="initial"/> (already validated by the caller), then reloads on request
    /// until <paramref name="stop"/>, then stops every session with an administrative shutdown.
    /// </summary>
    public async Task RunAsync(ConfigSnapshot initial, int initialWarnings, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(initial);
        var saved = _options.Source is null ? _state.Read() : null;
        _restarted = saved is not null;
        Log.Starting(_log, _options.Source?.Description ?? _options.ConfigPath, _options.Source is null ? _options.StatePath : "(none: addresses from the source)", _options.NodeName,
            saved is { } s ? string.Create(CultureInfo.InvariantCulture, $"restarting with {s.Length} saved assignments") : "first start (no state file)");
        // Start-up's garbage goes before the allocator adds its own: the admin server's setup (~13 MB, gRPC
        // and Kestrel; `bgplb run` collected the load's before it), which an idle daemon with a small config
        // would otherwise keep in memory for good.
        Compact();
        if (!await ApplyAsync(initial, null, saved, "start", initialWarnings, stop).ConfigureAwait(false))
        {
            throw new InvalidOperationException("the configuration's pools were refused by the allocator");
        }
        if (_options.BgpPort != 0)
        {
            _speaker.Listen(new IPEndPoint(IPAddress.IPv6Any, _options.BgpPort), _options.SocketFactory);
        }
        using var watcher = _options.Source is null ? WatchConfig() : null;
        if (_options.Source is null && ConfigLoader.ChangedSince(_options.ConfigPath, _configCache))
        {
            RequestReload("changed while starting", immediate: false);
        }
        try
        {
            while (await NextRequestAsync(stop).ConfigureAwait(false))
            {
                var reasons = new List<string>();
                if (!Drain(reasons))
                {
                    await QuietTimeAsync(reasons, stop).ConfigureAwait(false);
                }
                await ReloadAsync(string.Join(", ", reasons.Distinct()), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // SIGTERM / SIGINT: fall through to the orderly stop.
        }
        // ARP/NDP first: it takes no round trip, and a standby node takes the VIPs when our heartbeat stops.
        await _l2.StopAsync("stopping", problem: null).ConfigureAwait(false);
        await StopPeersAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the next reload request. After an apply that rebuilt a large plan (<see cref="_compactWhenIdle"/>),
    /// a request that has not come within <see cref="IdleCompactDelay"/> leaves time for <see cref="Compact"/>:
    /// the sessions have sent that apply's UPDATEs by then, and a reload that follows at once is not delayed.
    /// </summary>
    private async Task<bool> NextRequestAsync(CancellationToken stop)
    {
        if (!_compactWhenIdle)
        {
            return await _reloads.Reader.WaitToReadAsync(stop).ConfigureAwait(false);
        }
        using var idle = new CancellationTokenSource(IdleCompactDelay, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, stop);
        try
        {
            return await _reloads.Reader.WaitToReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            _compactWhenIdle = false;
            var before = GC.GetTotalMemory(forceFullCollection: false);
            var started = _time.GetTimestamp();
            Compact();
            Compactions++;
            var after = GC.GetTotalMemory(forceFullCollection: false);
            var took = _time.GetElapsedTime(started);
            Log.CompactedWhileIdle(_log, before >> 20, after >> 20, took.TotalMilliseconds);
            return await _reloads.Reader.WaitToReadAsync(stop).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits out the quiet time of a change, taking the requests that come meanwhile (each one restarts it,
    /// up to <see cref="RunOptions.ReloadDebounceLimit"/> after the first); a SIGHUP among them ends the wait at once.
    /// </summary>
    private async Task QuietTimeAsync(List<string> reasons, CancellationToken stop)
    {
        long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
        var limit = _time.GetTimestamp() + Ticks(_options.ReloadDebounceLimit ?? _options.ReloadDebounce);
        var deadline = Math.Min(limit, _time.GetTimestamp() + Ticks(_options.ReloadDebounce));
        while (true)
        {
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }
            using var quiet = new CancellationTokenSource(remaining, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(quiet.Token, stop);
            try
            {
                if (!await _reloads.Reader.WaitToReadAsync(either.Token).ConfigureAwait(false) || Drain(reasons))
                {
                    return;
                }
                deadline = Math.Min(limit, _time.GetTimestamp() + Ticks(_options.ReloadDebounce));
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return; // the quiet time is over
            }
        }
    }

    /// <summary>Takes every pending request; true if one of them wants no quiet time.</summary>
    private bool Drain(List<string> reasons)
    {
        var immediate = false;
        while (_reloads.Reader.TryRead(out var request))
        {
            reasons.Add(request.Reason);
            immediate |= request.Immediate;
        }
        return immediate;
    }

    private async Task ReloadAsync(string trigger, CancellationToken stop)
    {
        Log.ReloadRequested(_log, trigger);
        var started = _time.GetTimestamp();
        var result = _options.Source?.Load() ?? ConfigLoader.Load(_options.ConfigPath, _configCache);
        var loaded = _time.GetElapsedTime(started);
        if (result.Snapshot is not { } snapshot)
        {
            foreach (var error in result.Errors)
            {
                Log.ConfigError(_log, error.ToString());
            }
            Log.ConfigRejected(_log, trigger, result.Errors.Count());
            LastRejected = (_time.GetUtcNow(), [.. result.Errors.Select(e => e.ToString())]);
            Changed?.Invoke(new DaemonEvent(_time.GetUtcNow(), DaemonEvent.ConfigRejected, trigger, string.Join("\n", LastRejected.Value.Errors)));
            return;
        }
        await ApplyAsync(snapshot, result.Changes, null, trigger, LogWarnings(result), stop, loaded).ConfigureAwait(false);
    }

    /// <summary>Logs the warnings of a load and returns how many there were.</summary>
    internal int LogWarnings(ConfigLoadResult result)
    {
        var count = 0;
        foreach (var warning in result.Diagnostics.Where(d => d.Severity == Severity.Warning))
        {
            Log.ConfigWarning(_log, warning.ToString());
            count++;
        }
        return count;
    }

    /// <param name="changes">What changed since the snapshot applied last, when the loader could tell (a reload through the cache).</param>
    /// <param name="loaded">How long reading the config took (for the timings of <c>ConfigApplied</c>; zero at start, where the caller read it).</param>
    private async Task<bool> ApplyAsync(ConfigSnapshot snapshot, ConfigChanges? changes, ImmutableArray<Assignment>? restore, string trigger, int warnings,
        CancellationToken stop, TimeSpan loaded = default)
    {
        var phase = _time.GetTimestamp();
        TimeSpan Lap()
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(phase, now);
            phase = now;
            return elapsed;
        }

        // Unchanged pools need no SetPools (which re-checks every Service). With the loader's list of
        // changed Services against the snapshot running now, only those are allocated: an edit of one
        // advertisement, or one Service added to 100,000, costs no pass over every Service.
        var poolsKey = PoolsKey(snapshot);
        var poolsChanged = !string.Equals(poolsKey, _poolsKey, StringComparison.Ordinal);
        var delta = changes is { } c && Current is not null && ReferenceEquals(c.Base, Current) && !poolsChanged && restore is null ? c : null;
        // Metrics count each failure as it comes; the rest is kept only as far as it is reported.
        var results = new AllocationChanges(DetailedChanges, keepAll: _log.IsEnabled(LogLevel.Debug), AllocationFailed);
        AssignmentDelta? moved = null;
        ImmutableArray<Assignment> assignments;
        if (_options.Source is { } source)
        {
            var given = source.Assign(snapshot);
            (assignments, Unassigned, PoolUsage) = (given.Assignments, given.Unassigned, given.Pools);
        }
        else
        {
            if (delta is not null)
            {
                moved = AllocateChanges(delta, results);
            }
            else if (!AllocateAll(snapshot, restore, poolsChanged, trigger, results))
            {
                return false;
            }
            _poolsKey = poolsKey;
            LogChanges(results);
            PublishChanges(results);
            assignments = moved is { } m ? Merge(_assignments, m) : results.Count == 0 && !poolsChanged && !_assignments.IsDefault ? _assignments : _allocator.Assignments;
        }
        _vips = moved is { } d ? _vips + d.Added.Sum(a => a.Addresses.Length) - d.Removed.Sum(a => a.Addresses.Length) : assignments.Sum(a => a.Addresses.Length);
        _assignments = assignments;
        if (results.Count >= CompactAfter)
        {
            Compact();
        }
        var allocated = Lap();
        if (_options.Source is null)
        {
            Save(assignments, moved);
        }
        var stored = Lap();

        var node = NodeIdentity.From(snapshot, _options.NodeName);
        var updated = moved is { } changed && delta!.OnlyServices && _plan is not null
            ? Planner.Planner.Update(_plan, snapshot, node, changed.Removed, changed.Added, _allocator.IsShared)
            : null;
        var plan = updated ?? Planner.Planner.Build(snapshot, assignments, node);
        // A plan built whole for a large config leaves its predecessor and the build's sorted copies (arrays of
        // the large object heap) as garbage that only a full collection frees, and an idle daemon makes none:
        // each such reload of 100,000 Services left 5-10 MB more resident (docs/performance.md). An update for
        // a few Services is left to the collector's own budgets.
        _compactWhenIdle |= updated is null && Math.Max(Size(plan), _plan is { } before ? Size(before) : 0) >= CompactAfter;
        _plan = plan;
        LogNotices(plan);
        var planned = Lap();
        warnings += await ApplyPeersAsync(plan, stop).ConfigureAwait(false);
        var announced = Lap();
        SyncState();
        warnings += await ApplyBfdAsync(snapshot, plan, stop).ConfigureAwait(false);
        warnings += await _l2.ApplyAsync(snapshot, assignments, node).ConfigureAwait(false);
        Current = snapshot;
        if (_options.Source is null)
        {
            PoolUsage = _allocator.Status();
        }
        ConfigAppliedAt = _time.GetUtcNow();
        LastRejected = null;
        _firstApply = false;
        var routes = plan.Peers.Sum(p => p.Routes.Count);
        Log.ConfigApplied(_log, trigger, snapshot.Services.Length, _vips, plan.Peers.Length, routes, warnings,
            loaded.TotalMilliseconds, allocated.TotalMilliseconds, stored.TotalMilliseconds, planned.TotalMilliseconds, announced.TotalMilliseconds);
        Changed?.Invoke(new DaemonEvent(_time.GetUtcNow(), DaemonEvent.ConfigApplied, trigger,
            string.Create(CultureInfo.InvariantCulture, $"{snapshot.Services.Length} Services, {_vips} VIPs, {plan.Peers.Length} BGP peers, {routes} routes, {warnings} warnings")));
        return true;
    }

    /// <summary>The assignments that changed in one apply: each one given up (old addresses) and each one taken (new addresses); a move is in both.</summary>
    private readonly record struct AssignmentDelta(List<Assignment> Removed, List<Assignment> Added);

    /// <summary>Releases the Services that left and ensures those the loader read again; the other Services are not looked at.</summary>
    private AssignmentDelta AllocateChanges(ConfigChanges changes, AllocationChanges results)
    {
        var delta = new AssignmentDelta([], []);
        foreach (var key in changes.Removed)
        {
            var released = _allocator.Release(key);
            if (released.Previous is { } previous)
            {
                delta.Removed.Add(previous);
                results.Add(released);
            }
        }
        foreach (var service in changes.Upserted)
        {
            var before = _allocator.GetAssignment(service.Key);
            var result = _allocator.Ensure(service);
            if (result.Outcome is not (AllocationOutcome.Kept or AllocationOutcome.NotOurs) || result.Error is not null)
            {
                results.Add(result);
            }
            var after = _allocator.GetAssignment(service.Key);
            if (before != after)
            {
                if (before is { } old)
                {
                    delta.Removed.Add(old);
                }
                if (after is { } now)
                {
                    delta.Added.Add(now);
                }
            }
        }
        return delta;
    }

    /// <summary>The whole pass: pools (when changed), the restore after a restart, then every Service. False when the allocator refused the pools.</summary>
    private bool AllocateAll(ConfigSnapshot snapshot, ImmutableArray<Assignment>? restore, bool poolsChanged, string trigger, AllocationChanges results)
    {
        if (poolsChanged)
        {
            var pools = _allocator.SetPools(snapshot.Pools.Select(p => p.Pool));
            if (!pools.Accepted)
            {
                // The model already refuses overlapping or duplicate pools; this is the allocator's own guard.
                Log.ConfigError(_log, "pools refused by the allocator: " + pools.Error);
                Log.ConfigRejected(_log, trigger, 1);
                return false;
            }
            results.AddRange(pools.Changes);
        }
        // What the allocator was given last is the running snapshot's Services: looked up by key only during
        // a pass over all of them, not kept between applies (a table of 100,000 would hold 3.5 MB for good).
        var last = Current is { } current ? current.Services.ToDictionary(s => s.Key) : [];
        // The new Services by key, for a restore and for the Services that left: a first start needs neither.
        var services = restore is not null || last.Count > 0 ? snapshot.Services.ToDictionary(s => s.Key) : [];
        // Sized once: grown one doubling at a time, the allocator's two tables of 100,000 leave ~10 MB of
        // discarded arrays in the large object heap, at the start's memory peak.
        _allocator.EnsureCapacity(Math.Max(snapshot.Services.Length, restore?.Length ?? 0));
        if (restore is { } saved)
        {
            foreach (var assignment in saved)
            {
                // A Service that left the config while we were down gives its address back.
                if (services.TryGetValue(assignment.Service, out var service))
                {
                    var restored = _allocator.Restore(service, assignment.Addresses);
                    if (!restored.Invalidations.IsDefaultOrEmpty || restored.Outcome == AllocationOutcome.Failed)
                    {
                        results.Add(restored);
                    }
                }
            }
        }
        foreach (var gone in last.Keys.Where(k => !services.ContainsKey(k)))
        {
            results.Add(_allocator.Release(gone));
        }
        foreach (var service in snapshot.Services)
        {
            // An unchanged Service (the very object, taken over from an unchanged file) that holds its addresses needs no Ensure.
            if (!poolsChanged && last.TryGetValue(service.Key, out var before) && ReferenceEquals(before, service)
                && _allocator.GetAssignment(service.Key) is not null)
            {
                continue;
            }
            var result = _allocator.Ensure(service);
            if (result.Outcome is not (AllocationOutcome.Kept or AllocationOutcome.NotOurs) || result.Error is not null)
            {
                results.Add(result);
            }
        }
        return true;
    }

    /// <summary><paramref name="sorted"/> (in Service order) with the delta applied, in one merge pass: no sort of every assignment.</summary>
    private static ImmutableArray<Assignment> Merge(ImmutableArray<Assignment> sorted, AssignmentDelta delta)
    {
        if (delta.Removed.Count == 0 && delta.Added.Count == 0)
        {
            return sorted;
        }
        var gone = delta.Removed.Select(a => a.Service).ToHashSet();
        var added = delta.Added.OrderBy(a => a.Service).ToArray();
        var result = ImmutableArray.CreateBuilder<Assignment>(sorted.Length + added.Length);
        var next = 0;
        foreach (var assignment in sorted)
        {
            while (next < added.Length && added[next].Service < assignment.Service)
            {
                result.Add(added[next++]);
            }
            if (!gone.Contains(assignment.Service))
            {
                result.Add(assignment);
            }
        }
        while (next < added.Length)
        {
            result.Add(added[next++]);
        }
        return result.ToImmutable();
    }

    /// <summary>The fsync of journal lines written before the announcement (<see cref="StateFile.Append"/>).</summary>
    private void SyncState()
    {
        try
        {
            _state.Sync();
        }
        catch (IOException e)
        {
            Log.ConfigError(_log, $"state journal {_state.Path}.journal not synced to disk (a power cut may move VIPs allocated since the last sync): {e.Message}");
        }
    }

    /// <summary>
    /// Keeps the assignments across a restart before anything is announced: the changes alone as journal
    /// lines when they are few (in the kernel now, fsynced right after the announcement), else (and at
    /// least every so many lines) a whole new snapshot, fsynced before.
    /// </summary>
    private void Save(ImmutableArray<Assignment> assignments, AssignmentDelta? delta)
    {
        try
        {
            if (delta is { } d && _state.MayAppend && _state.JournalEntries + d.Added.Count + d.Removed.Count <= Math.Max(JournalLimit, assignments.Length / 2))
            {
                if (d.Added.Count + d.Removed.Count == 0)
                {
                    return;
                }
                var taken = d.Added.Select(a => a.Service).ToHashSet();
                _state.Append(d.Added, [.. d.Removed.Where(a => !taken.Contains(a.Service))]);
                _saved = assignments;
                Log.StateJournaled(_log, d.Added.Count, d.Removed.Count, _state.Path);
                return;
            }
            if (assignments.AsSpan().SequenceEqual(_saved.AsSpan()) && _state.MayAppend)
            {
                return;
            }
            _state.Write(assignments);
            _saved = assignments;
            Log.StateSaved(_log, assignments.Length, _state.Path);
        }
        catch (IOException e)
        {
            // Announcing keeps the service up; the next apply tries again. A restart before then
            // may move VIPs allocated since the last save, which the error says.
            Log.ConfigError(_log, $"state file {_state.Path} not saved, VIPs allocated since the last save may move on restart: {e.Message}");
        }
    }

    /// <summary>
    /// The BGP Identifier of a peer's sessions, worked out once per (peer, routerID, sourceAddress):
    /// a reload asks the kernel nothing again, and a derived identifier does not change under a running
    /// session because an interface address did.
    /// </summary>
    private uint RouterIdOf(BgpPeerConfig peer)
    {
        var key = (peer.PeerAddress, peer.RouterId, peer.SourceAddress);
        if (!_routerIds.TryGetValue(key, out var id))
        {
            _routerIds[key] = id = PeerSettings.RouterId(peer);
        }
        return id;
    }

    /// <summary>Everything of the pools that the allocator reads, as text: equal text, equal pools.</summary>
    private static string PoolsKey(ConfigSnapshot snapshot)
    {
        static string Selector(LabelSelector s) =>
            string.Join(",", s.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))
            + ";" + string.Join(",", s.MatchExpressions.Select(e => e.Key + " " + e.Operator + " (" + string.Join(",", e.Values) + ")"));
        var text = new System.Text.StringBuilder();
        foreach (var pool in snapshot.Pools.Select(p => p.Pool))
        {
            text.Append(pool.Name).Append('|').Append(pool.AutoAssign).Append('|').Append(pool.AvoidBuggyIPs).Append('|')
                .AppendJoin(',', pool.Addresses.Select(a => a.Text)).Append('|');
            if (pool.ServiceAllocation is { } allocation)
            {
                text.Append(allocation.Priority).Append('|').AppendJoin(',', allocation.Namespaces).Append('|')
                    .AppendJoin('/', allocation.NamespaceSelectors.Select(Selector)).Append('|')
                    .AppendJoin('/', allocation.ServiceSelectors.Select(Selector));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <returns>How many warnings it logged.</returns>
    private async Task<int> ApplyPeersAsync(Plan plan, CancellationToken stop)
    {
        var wanted = plan.Peers.ToDictionary(p => p.Key, StringComparer.Ordinal);
        // Through the drain, so that a reload during one stays drained; before the peers are added,
        // so that a new peer's first UPDATEs already carry its routes.
        _drain.Announce(plan.Peers);
        foreach (var key in _peers.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
        {
            // De-configured (or no longer selecting this node): RFC 4486 Cease / Peer De-configured.
            await _speaker.RemovePeerAsync(key, null, stop).ConfigureAwait(false);
            _peers.Remove(key);
            Log.PeerConfigured(_log, key, "removed");
        }
        var warnings = 0;
        foreach (var (key, peerPlan) in wanted)
        {
            var peer = peerPlan.Peer;
            var restarted = _peers.TryGetValue(key, out var existing) ? existing.Options.Restarted : _firstApply && _restarted;
            uint routerId;
            try
            {
                routerId = RouterIdOf(peer);
            }
            catch (InvalidOperationException e)
            {
                // A fact of this host, not of the file (validate cannot see it): the other peers go on,
                // and the next reload asks again (an address may have come up).
                Log.NotServed(_log, e.Message + "; its session is not started");
                warnings++;
                continue;
            }
            var options = PeerSettings.Options(peer, routerId, restarted);
            var endpoint = PeerSettings.Endpoint(peer) with { SocketFactory = _options.SocketFactory };
            if (existing.Options == options && existing.Endpoint == endpoint)
            {
                continue;
            }
            await _speaker.AddOrUpdatePeerAsync(key, options, endpoint, passive: false, stop).ConfigureAwait(false);
            Log.PeerConfigured(_log, key, existing.Options is null
                ? $"added: {endpoint.Remote}, AS {options.LocalAsn} -> {options.PeerAsn}, {peerPlan.Routes.Count} routes"
                : $"changed: session restarted (Cease / Other Configuration Change), {peerPlan.Routes.Count} routes");
            _peers[key] = (options, endpoint);
        }
        return warnings + WarnUnserved(plan);
    }

    /// <returns>How many warnings it logged.</returns>
    private async Task<int> ApplyBfdAsync(ConfigSnapshot snapshot, Plan plan, CancellationToken stop)
    {
        var profiles = snapshot.BfdProfiles.ToDictionary(p => p.Name, StringComparer.Ordinal);
        // The model refuses a bfdProfile that names no BFDProfile, so the lookup cannot miss.
        var wanted = plan.Peers.Where(p => p.Peer.BfdProfile is not null)
            .Select(p => (p.Key, p.Peer, profiles[p.Peer.BfdProfile!])).ToList();
        try
        {
            await _bfd.ApplyAsync(wanted, stop).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is BfdSession.BfdConfigurationException or BfdWorker.BfdWorkerException or System.Net.Sockets.SocketException)
        {
            Log.NotServed(_log, $"BFD could not be set up, the BGP sessions run on their hold timers: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Says which VIP routes reach no peer because every peer they are planned for runs its session
    /// over the other family (no next hop of their family is known), rather than letting the speaker
    /// drop them silently. A route that another peer of its family carries is served. Returns the
    /// number of warnings.
    /// </summary>
    private int WarnUnserved(Plan plan)
    {
        var warnings = 0;
        foreach (var family in new[] { BgpSpeaker.Wire.Afi.IPv4, BgpSpeaker.Wire.Afi.IPv6 })
        {
            static bool Carries(PeerPlan p, BgpSpeaker.Wire.Afi family) =>
                (p.Peer.PeerAddress.Family == Allocator.IpFamily.IPv4) == (family == BgpSpeaker.Wire.Afi.IPv4);
            var blocked = plan.Peers.Where(p => !Carries(p, family) && p.Routes.Carries(family)).ToList();
            if (blocked.Count == 0)
            {
                continue;
            }
            var served = plan.Peers.Where(p => Carries(p, family)).SelectMany(p => p.Routes).Select(r => r.Prefix).ToHashSet();
            var unserved = blocked.SelectMany(p => p.Routes).Where(r => r.Prefix.Family == family && !served.Contains(r.Prefix)).Select(r => r.Prefix).Distinct().Count();
            if (unserved > 0)
            {
                var other = family == BgpSpeaker.Wire.Afi.IPv4 ? "IPv6" : "IPv4";
                Log.NotServed(_log, $"{unserved} {family} route(s) reach no BGP peer: {string.Join(", ", blocked.Select(p => p.Key))} run over {other} and no {family} next hop is known for them; add a BGPPeer with the router's {family} address");
                warnings++;
            }
        }
        return warnings;
    }

    private void LogChanges(AllocationChanges changes)
    {
        // The text of a change is made only for a line that is written: 100,000 of them at start, all at the
        // debug level, were tens of MB of strings that raised the daemon's peak memory for nothing.
        void Write(AllocationResult change, LogLevel level)
        {
            if (!_log.IsEnabled(level))
            {
                return;
            }
            var text = Describe(change);
            switch (level)
            {
                case LogLevel.Warning:
                    Log.AllocationProblem(_log, change.Service, text);
                    break;
                case LogLevel.Information:
                    Log.Allocation(_log, change.Service, text);
                    break;
                default:
                    Log.AllocationDetail(_log, change.Service, text);
                    break;
            }
        }

        if (changes.IsDetailed)
        {
            foreach (var change in changes.All!)
            {
                Write(change, AllocationChanges.IsProblem(change) ? LogLevel.Warning : LogLevel.Information);
            }
            return;
        }
        var fewProblems = changes.Problems <= changes.Detailed;
        if (changes.All is { } all)
        {
            // Kept because debug lines are written: each change, problems as warnings while they are few.
            foreach (var change in all)
            {
                Write(change, fewProblems && AllocationChanges.IsProblem(change) ? LogLevel.Warning : LogLevel.Debug);
            }
        }
        else if (changes.ProblemsOnly is { } problems)
        {
            foreach (var change in problems)
            {
                Write(change, LogLevel.Warning);
            }
        }
        Log.AllocationSummary(_log, changes.Count, changes.Problems);
    }

    private static string Describe(AllocationResult change) => change.Outcome switch
    {
        AllocationOutcome.Assigned or AllocationOutcome.Restored or AllocationOutcome.Extended or AllocationOutcome.Kept when change.Assignment is { } a =>
            $"{change.Outcome.ToString().ToLowerInvariant()} {string.Join(", ", a.Addresses)} from pool {a.Pool}"
            + (change.Invalidations.IsDefaultOrEmpty ? "" : "; gave up " + string.Join("; ", change.Invalidations.Select(e => $"{e.Address}: {e.Message}")))
            + (change.Error is null ? "" : $" ({change.Error})"),
        AllocationOutcome.Released => change.Previous is { } p ? $"released {string.Join(", ", p.Addresses)}" : "released",
        _ => change.ToString(),
    };

    /// <summary>Allocation changes as events: each up to <see cref="DetailedChanges"/>, one summary beyond.</summary>
    private void PublishChanges(AllocationChanges changes)
    {
        if (Changed is not { } changed || changes.Count == 0)
        {
            return;
        }
        var now = _time.GetUtcNow();
        if (!changes.IsDetailed)
        {
            changed(new DaemonEvent(now, DaemonEvent.Allocation, "", string.Create(CultureInfo.InvariantCulture, $"{changes.Count} allocation changes")));
            return;
        }
        foreach (var change in changes.All!)
        {
            changed(new DaemonEvent(now, DaemonEvent.Allocation, change.Service.ToString(), Describe(change)));
        }
    }

    /// <summary>Full collections made while idle (<see cref="NextRequestAsync"/>), for tests.</summary>
    internal int Compactions { get; private set; }

    /// <summary>What a plan holds per Service: its routes and its notices.</summary>
    private static int Size(Plan plan) => plan.Peers.Sum(p => p.Routes.Count) + plan.NotAnnounced.Length;

    /// <summary>
    /// A full, compacting collection that gives the freed memory back: at start, after an allocation pass that
    /// changed at least <see cref="CompactAfter"/> Services, and once idle after a plan of that size was built
    /// whole (<see cref="NextRequestAsync"/>). Such a pass (the first allocation of
    /// 100,000 Services) promotes tens of MB that are garbage by its end into the oldest generation, and a
    /// daemon that then idles allocates too little to ever trigger the collection that would free them: its
    /// memory would stay at the pass's peak for good. Measured (Native AOT, docs/performance.md): peak RSS at
    /// 100,000 Services 128 -> 114 MB, 30-40 ms once. Edits of a few Services never come here.
    /// </summary>
    internal static void Compact() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private void LogNotices(Plan plan)
    {
        if (plan.NotAnnounced.Length <= DetailedChanges)
        {
            foreach (var notice in plan.NotAnnounced)
            {
                Log.NotAnnounced(_log, notice.Service, notice.Reason);
            }
            return;
        }
        foreach (var notice in plan.NotAnnounced)
        {
            Log.NotAnnouncedDetail(_log, notice.Service, notice.Reason);
        }
        Log.NotAnnouncedSummary(_log, plan.NotAnnounced.Length, $"{plan.NotAnnounced[0].Service}: {plan.NotAnnounced[0].Reason}");
    }

    /// <summary>
    /// Watches the config file's folder (editors replace a file by renaming a new one over it, which
    /// a watch on the file itself would miss) and asks for a reload on any change to the config.
    /// </summary>
    private FileSystemWatcher? WatchConfig()
    {
        var full = Path.GetFullPath(_options.ConfigPath);
        var isFolder = Directory.Exists(full);
        var folder = isFolder ? full : Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
        {
            return null;
        }
        var watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        bool Relevant(string? path) => path is not null && (isFolder
            ? path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal)
            : string.Equals(path, full, StringComparison.Ordinal));
        void OnChange(object sender, FileSystemEventArgs e)
        {
            if (Relevant(e.FullPath) || (e is RenamedEventArgs r && Relevant(r.OldFullPath)))
            {
                RequestReload("file changed: " + Path.GetFileName(e.FullPath), immediate: false);
            }
        }
        watcher.Changed += OnChange;
        watcher.Created += OnChange;
        watcher.Deleted += OnChange;
        watcher.Renamed += (sender, e) => OnChange(sender, e);
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private async Task StopPeersAsync()
    {
        Log.Stopping(_log, _peers.Count);
        using var timeout = new CancellationTokenSource(_options.StopTimeout, _time);
        try
        {
            // RFC 4486 Cease / Administrative Shutdown with an RFC 9003 message, to all peers at once.
            await Task.WhenAll(_peers.Keys.Select(key => _speaker.RemovePeerAsync(key, ShutdownCommunication, timeout.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A peer that did not take its NOTIFICATION in time loses the TCP connection instead.
        }
        _peers.Clear();
        Log.Stopped(_log);
    }

    public async ValueTask DisposeAsync()
    {
        await _speaker.DisposeAsync().ConfigureAwait(false);
        await _bfd.DisposeAsync().ConfigureAwait(false);
        await _l2.DisposeAsync().ConfigureAwait(false);
        _state.Dispose();
    }
}
