using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// <c>bgplb controller</c> (DESIGN.md §4): every replica watches Services, Namespaces and, in its namespace, the
/// bgplb.io configuration kinds and the Secrets BGPPeers name; the one holding the Lease allocates with the
/// standalone daemon's <see cref="IpAllocator"/> and writes <c>status.loadBalancer.ingress</c>, Events, and
/// each configuration object's status (condition Valid, pool usage: <see cref="ObjectStatus"/>). Each time it
/// becomes leader it starts from a new allocator into which every assignment the Services' status holds is
/// restored before anything is allocated, so neither a restart nor a failover moves an IP. Status is written
/// only when it differs, an object's at most once per <see cref="ControllerOptions.StatusInterval"/>.
/// </summary>
public sealed partial class Controller : IDisposable
{
    public const string Component = "bgplb-controller";
    public const string ReasonAllocated = "IPAllocated";
    public const string ReasonFailed = "AllocationFailed";

    private static readonly Version IpModeSince = new(1, 29);

    private readonly ApiConnection _api;
    private readonly ControllerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ResourceStore _services = new(ResourceType.Services);
    private readonly ResourceStore _namespaces = new(ResourceType.Namespaces);
    private readonly ResourceStore _pools = new(ResourceType.IpAddressPools);

    // The other kinds the daemon validates, only so that each object's Valid condition says what a speaker's
    // build says of it (a BGPPeer's passwordSecret must exist, an advertisement's aggregationLength fit the pools).
    private readonly ResourceStore[] _others =
    [
        new(ResourceType.BgpPeers), new(ResourceType.BgpAdvertisements), new(ResourceType.L2Advertisements),
        new(ResourceType.BfdProfiles), new(ResourceType.Communities), new(ResourceType.Secrets),
    ];
    private readonly ClusterConfiguration _configuration = new();
    private readonly EventRecorder _events;
    private readonly RefusalReporter _refusals;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _leadership = new();

    // Leadership: a term per Lease held, cancelled when it is lost, so no write of an old term goes out.
    private CancellationTokenSource? _term;
    private bool _restoreNeeded;

    // The leader's state, rebuilt at each term's start.
    private IpAllocator? _allocator;
    private long _poolsApplied = -1;

    // The snapshot of the last pass (what the next build's changes are counted from), and whether the next
    // pass must look at every Service because one of this pass's writes failed.
    private ConfigSnapshot? _applied;
    private volatile bool _wholePassNeeded;
    private readonly Dictionary<ServiceKey, string> _failures = [];
    private bool _ipMode;
    private long _statusWrites;
    private long _eventsWritten;

    // Configuration objects' status: when each (by uid) was last written, for the rate limit; whether a pass is
    // already due for the writes it held back.
    private readonly Dictionary<string, long> _objectStatusAt = new(StringComparer.Ordinal);
    private int _objectStatusPending;
    private long _objectStatusWrites;

    public Controller(ApiConnection api, ControllerOptions options, ILogger log, TimeProvider time)
    {
        _api = api;
        _options = options;
        _log = log;
        _time = time;
        _events = new EventRecorder(api, Component, options.Identity, time);
        _refusals = new RefusalReporter(log);
        foreach (var store in Stores)
        {
            store.Changed += _ => Wake();
        }
    }

    private ResourceStore[] Stores => [_namespaces, _pools, _services, .. _others];

    /// <summary>The kinds whose objects get a status from the leader.</summary>
    private IEnumerable<ResourceStore> ConfigurationStores => Stores.Where(s => s.Type.StatusIsOutput);

    /// <summary>Whether this replica holds the Lease now.</summary>
    public bool IsLeader
    {
        get
        {
            lock (_leadership)
            {
                return _term is { IsCancellationRequested: false };
            }
        }
    }

    /// <summary>Whether every watched kind has been listed once.</summary>
    public bool Synced => Stores.All(s => s.Synced);

    /// <summary>Services holding addresses in this leader's allocator (0 when not leading).</summary>
    public int Holding => IsLeader ? Volatile.Read(ref _allocator)?.Count ?? 0 : 0;

    /// <summary>Status writes sent (for metrics and tests).</summary>
    public long StatusWrites => Interlocked.Read(ref _statusWrites);

    /// <summary>Status writes of configuration objects (conditions, pool usage) sent.</summary>
    public long ObjectStatusWrites => Interlocked.Read(ref _objectStatusWrites);

    /// <summary>Events written.</summary>
    public long EventsWritten => Interlocked.Read(ref _eventsWritten);

    /// <summary>Runs until <paramref name="cancellationToken"/>: watches, leader election, and (while leading) allocation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _ipMode = await ServerHasIpModeAsync(cancellationToken).ConfigureAwait(false);
        var classRule = LoadBalancerClassRule.Describe(_options.LoadBalancerClass);
        Log.ControllerStarting(_log, _options.Identity, _options.Namespace, classRule, _ipMode);
        // Services and Namespaces cluster-wide; the bgplb.io kinds and Secrets in the controller's namespace, as RBAC grants.
        var tasks = Stores.Select(s => new ResourceWatch(_api, s, _options.Watch, _log, _time,
            s == _services || s == _namespaces ? null : _options.Namespace).RunAsync(cancellationToken)).ToList();
        var elector = new LeaseElector(_api, _options.Namespace, _options.LeaseName, _options.Identity,
            _options.LeaseDuration, _options.RenewDeadline, _options.RetryPeriod, _time);
        elector.StartedLeading += StartedLeading;
        elector.StoppedLeading += StoppedLeading;
        elector.NewLeader += leader => Log.NewLeader(_log, leader);
        elector.Error += error => Log.LeaseError(_log, error);
        tasks.Add(elector.RunAsync(cancellationToken));
        tasks.Add(ReconcileLoopAsync(cancellationToken));
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            StoppedLeading();
            // The elector has said "stopped leading" on cancellation already: whether we still hold the
            // Lease is the Lease's to say (ReleaseAsync reads it).
            await ReleaseAsync(elector).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives the Lease up on a clean stop, as client-go's ReleaseOnCancel does (no holder, one second), so the
    /// other replica or the next process takes over at its next try instead of after a whole LeaseDuration.
    /// </summary>
    private async Task ReleaseAsync(LeaseElector elector)
    {
        using var timeout = new CancellationTokenSource(_options.RenewDeadline);
        try
        {
            if (await elector.ReleaseAsync(timeout.Token).ConfigureAwait(false))
            {
                Log.LeaseReleased(_log, _options.Identity);
            }
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or JsonException)
        {
            // The Lease then runs out by itself.
            Log.LeaseError(_log, "releasing the Lease: " + e.Message);
        }
    }

    private void StartedLeading()
    {
        lock (_leadership)
        {
            _term?.Dispose();
            _term = new CancellationTokenSource();
            _restoreNeeded = true;
        }
        Log.Leading(_log, _options.Identity);
        Wake();
    }

    private void StoppedLeading()
    {
        lock (_leadership)
        {
            if (_term is null || _term.IsCancellationRequested)
            {
                return;
            }
            _term.Cancel();
        }
        Log.StoppedLeading(_log, _options.Identity);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task ReconcileLoopAsync(CancellationToken cancellationToken)
    {
        while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(_options.Debounce, _time, cancellationToken).ConfigureAwait(false);
            _wake.Reader.TryRead(out _);
            CancellationToken term;
            bool restore;
            lock (_leadership)
            {
                if (_term is not { IsCancellationRequested: false } current)
                {
                    continue;
                }
                // Before every kind is listed, an absent Service or pool means "not known yet": restoring
                // or allocating then could hand out an address a Service not yet seen holds.
                if (!Stores.All(s => s.Synced))
                {
                    continue; // each first list wakes the loop again
                }
                term = current.Token;
                restore = _restoreNeeded;
                _restoreNeeded = false;
            }
            try
            {
                await ReconcileAsync(restore, term).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested || cancellationToken.IsCancellationRequested)
            {
                // leadership lost (or stopping) mid-pass: the next leader restores from what was written
            }
        }
    }

    private async Task ReconcileAsync(bool restore, CancellationToken term)
    {
        var started = _time.GetTimestamp();
        var poolsVersion = _pools.Version;
        var built = _configuration.Build(Stores);
        var read = _time.GetElapsedTime(started);
        var invalid = _refusals.Report(built).Select(r => new PendingEvent(r.About, EventRecorder.Warning, RefusalReporter.ReasonInvalid, r.Message)).ToList();
        if (built.Snapshot is not { } snapshot)
        {
            await WriteEventsAsync(invalid, term).ConfigureAwait(false);
            await WriteObjectStatusAsync(built, term).ConfigureAwait(false);
            return; // nothing valid yet: nothing to allocate from
        }
        // A whole pass looks at every Service; otherwise only at those the loader read again (a new
        // resourceVersion: spec, annotations or status changed) and those gone, so a change of one
        // Service among 10,000 costs the work of one.
        var full = restore || _allocator is null || poolsVersion != _poolsApplied || _wholePassNeeded
            || built.Changes is not { } changes || !ReferenceEquals(changes.Base, _applied);
        _wholePassNeeded = false;
        if (restore || _allocator is null)
        {
            Restore(snapshot);
        }
        else if (poolsVersion != _poolsApplied)
        {
            var update = _allocator.SetPools(snapshot.Pools.Select(p => p.Pool));
            if (update.Error is { } error)
            {
                Log.PoolsRefused(_log, error.Message);
            }
            _poolsApplied = poolsVersion;
        }
        var allocator = _allocator!;
        var results = full ? EnsureAll(allocator, snapshot) : EnsureChanged(allocator, snapshot, built.Changes!);
        var writes = new List<(ClusterObject Service, ImmutableArray<IpAddress> Addresses)>();
        foreach (var result in results)
        {
            if (result.Outcome is AllocationOutcome.NotOurs or AllocationOutcome.Released
                || _services.Get(result.Service.Namespace, result.Service.Name) is not { } service)
            {
                continue;
            }
            var addresses = allocator.GetAssignment(result.Service)?.Addresses ?? [];
            if (!ServiceStatus.Says(service, addresses, _ipMode))
            {
                writes.Add((service, addresses));
            }
        }
        await Parallel.ForEachAsync(writes, new ParallelOptions { MaxDegreeOfParallelism = _options.Writers, CancellationToken = term },
            (write, ct) => new ValueTask(WriteStatusAsync(write.Service, write.Addresses, ct))).ConfigureAwait(false);
        await WriteEventsAsync([.. invalid, .. EventsOf(results)], term).ConfigureAwait(false);
        await WriteObjectStatusAsync(built, term).ConfigureAwait(false);
        var changed = results.Count(r => r.Outcome is not (AllocationOutcome.Kept or AllocationOutcome.NotOurs));
        if (changed > 0 || writes.Count > 0 || restore)
        {
            var total = _time.GetElapsedTime(started);
            Log.Reconciled(_log, snapshot.Services.Length, allocator.Count, changed, writes.Count, read.TotalMilliseconds,
                _configuration.LastReused, _configuration.LastObjects, total.TotalMilliseconds);
        }
        _applied = snapshot;
    }

    private static List<AllocationResult> EnsureAll(IpAllocator allocator, ConfigSnapshot snapshot)
    {
        var results = new List<AllocationResult>(snapshot.Services.Length);
        var present = new HashSet<ServiceKey>(snapshot.Services.Length);
        foreach (var service in snapshot.Services)
        {
            present.Add(service.Key);
            results.Add(allocator.Ensure(service));
        }
        foreach (var gone in allocator.Assignments.Where(a => !present.Contains(a.Service)).Select(a => a.Service).ToList())
        {
            results.Add(allocator.Release(gone));
        }
        return results;
    }

    /// <summary>
    /// Releases the Services gone since the last pass, ensures those read again, and tries again those whose
    /// allocation failed (an address may have been freed since; the same failure is not reported twice).
    /// </summary>
    private List<AllocationResult> EnsureChanged(IpAllocator allocator, ConfigSnapshot snapshot, ConfigChanges changes)
    {
        var results = new List<AllocationResult>(changes.Removed.Length + changes.Upserted.Length);
        foreach (var key in changes.Removed)
        {
            results.Add(allocator.Release(key));
        }
        var seen = new HashSet<ServiceKey>(changes.Upserted.Length);
        foreach (var service in changes.Upserted)
        {
            seen.Add(service.Key);
            results.Add(allocator.Ensure(service));
        }
        if (_failures.Count > 0)
        {
            foreach (var service in snapshot.Services)
            {
                if (_failures.ContainsKey(service.Key) && seen.Add(service.Key))
                {
                    results.Add(allocator.Ensure(service));
                }
            }
        }
        return results;
    }

    /// <summary>A new term: a new allocator, the pools, then every address the Services' status holds, before any Ensure.</summary>
    private void Restore(ConfigSnapshot snapshot)
    {
        var allocator = new IpAllocator(_options.AllocatorOptions with { CapacityHint = snapshot.Services.Length });
        var update = allocator.SetPools(snapshot.Pools.Select(p => p.Pool));
        if (update.Error is { } error)
        {
            Log.PoolsRefused(_log, error.Message);
        }
        _poolsApplied = _pools.Version;
        _failures.Clear();
        // A new term says every finding again (the last leader's Events may be all the cluster has seen of them).
        _refusals.Forget();
        var restored = 0;
        var lost = 0;
        foreach (var service in snapshot.Services)
        {
            if (_services.Get(service.Key.Namespace, service.Key.Name) is not { } item || ServiceStatus.IngressOf(item) is not { IsEmpty: false } addresses)
            {
                continue;
            }
            var result = allocator.Restore(service, addresses);
            if (result.Outcome == AllocationOutcome.Restored)
            {
                restored++;
            }
            foreach (var invalidation in result.Invalidations)
            {
                lost++;
                Log.NotRestored(_log, service.Key, invalidation.Message);
            }
        }
        _allocator = allocator;
        Log.Restored(_log, restored, lost);
    }

    private async Task WriteStatusAsync(ClusterObject service, ImmutableArray<IpAddress> addresses, CancellationToken term)
    {
        try
        {
            using var stored = await _api.MergePatchAsync(service.Type.ObjectPath(service.Namespace, service.Name) + "/status", ServiceStatus.Patch(addresses, _ipMode), term).ConfigureAwait(false);
            Interlocked.Increment(ref _statusWrites);
            // The answer is the object as stored: keep it, so the next pass does not write again before the watch brings it.
            _services.Upsert(ClusterObject.From(ResourceType.Services, stored.RootElement));
            if (_log.IsEnabled(LogLevel.Debug))
            {
                Log.StatusWritten(_log, service.Subject, addresses.IsDefaultOrEmpty ? "(none)" : string.Join(", ", addresses));
            }
        }
        catch (Exception e) when (!term.IsCancellationRequested && e is ApiException or HttpRequestException or IOException or JsonException)
        {
            Log.StatusWriteFailed(_log, service.Subject, e.Message);
            // The Service has not changed, so only a pass over all of them looks at it again.
            _wholePassNeeded = true;
            RetryLater();
        }
    }

    private void RetryLater() => _ = Task.Delay(_options.RetryPeriod, _time).ContinueWith(_ => Wake(), TaskScheduler.Default);

    /// <summary>
    /// Writes the status of every configuration object whose stored status does not say what
    /// <see cref="ObjectStatus.Of"/> says now. An object written less than <see cref="ControllerOptions.StatusInterval"/>
    /// ago waits (a burst of allocations changes a pool's usage on every pass), and one pass is made due when it may.
    /// Its own writes do not wake the controller: the store takes a status-only change without counting it.
    /// </summary>
    private async Task WriteObjectStatusAsync(ClusterConfigResult built, CancellationToken term)
    {
        var due = new List<(ResourceStore Store, ClusterObject Item, ObjectStatus.Desired Desired)>();
        TimeSpan? wait = null;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var store in ConfigurationStores)
        {
            foreach (var item in store.Objects())
            {
                present.Add(item.Uid);
                var usage = store == _pools ? _allocator?.StatusOf(item.Name) : null;
                var desired = ObjectStatus.Of(item, built, _configuration.InForce(item.Subject), usage);
                if (ObjectStatus.Says(item, desired))
                {
                    continue;
                }
                if (_objectStatusAt.TryGetValue(item.Uid, out var last) && _time.GetElapsedTime(last) is var since && since < _options.StatusInterval)
                {
                    var left = _options.StatusInterval - since;
                    wait = wait is { } w && w < left ? w : left;
                    continue;
                }
                due.Add((store, item, desired));
            }
        }
        foreach (var gone in _objectStatusAt.Keys.Where(uid => !present.Contains(uid)).ToList())
        {
            _objectStatusAt.Remove(gone);
        }
        if (wait is { } delay && Interlocked.Exchange(ref _objectStatusPending, 1) == 0)
        {
            // Not the term's token: a wake after the term ended finds no leader and does nothing.
            _ = Task.Delay(delay, _time, CancellationToken.None).ContinueWith(_ =>
            {
                Volatile.Write(ref _objectStatusPending, 0);
                Wake();
            }, TaskScheduler.Default);
        }
        var now = _time.GetUtcNow();
        var written = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = _options.Writers, CancellationToken = term }, async (write, ct) =>
        {
            var (store, item, desired) = write;
            try
            {
                using var stored = await _api.MergePatchAsync(item.Type.ObjectPath(item.Namespace, item.Name) + "/status",
                    ObjectStatus.Patch(item, desired, now), ct).ConfigureAwait(false);
                Interlocked.Increment(ref _objectStatusWrites);
                written.Add(item.Uid);
                // The object as stored: the next pass compares with it, not with what the watch has not brought yet.
                store.Upsert(ClusterObject.From(store.Type, stored.RootElement));
                Log.ObjectStatusWritten(_log, item.Subject, desired.Status, desired.Reason,
                    desired.Usage is { } u ? string.Join("/", u) : "-");
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is ApiException or HttpRequestException or IOException or JsonException)
            {
                Log.ObjectStatusFailed(_log, item.Subject, e.Message);
                RetryLater();
            }
        }).ConfigureAwait(false);
        var at = _time.GetTimestamp();
        foreach (var uid in written)
        {
            _objectStatusAt[uid] = at;
        }
    }

    private IEnumerable<PendingEvent> EventsOf(List<AllocationResult> results)
    {
        foreach (var result in results)
        {
            if (_services.Get(result.Service.Namespace, result.Service.Name) is not { } service)
            {
                continue;
            }
            switch (result.Outcome)
            {
                case AllocationOutcome.Assigned or AllocationOutcome.Moved or AllocationOutcome.Extended when result.Assignment is { } assignment:
                    _failures.Remove(result.Service);
                    Log.Allocated(_log, result);
                    yield return new PendingEvent(service, EventRecorder.Normal, ReasonAllocated,
                        $"Assigned IP {string.Join(", ", assignment.Addresses)} from pool {assignment.Pool}" + (result.Outcome == AllocationOutcome.Moved ? $" (moved from {string.Join(", ", result.Previous?.Addresses ?? [])}: {string.Join("; ", result.Invalidations.Select(i => i.Message))})" : ""));
                    break;
                case AllocationOutcome.Failed when result.Error is { } error:
                    var message = $"{error.Kind}: {error.Message}";
                    // The same failure on every pass is one Event, not one per pass.
                    if (_failures.GetValueOrDefault(result.Service) != message)
                    {
                        _failures[result.Service] = message;
                        Log.AllocationFailed(_log, result.Service, message);
                        yield return new PendingEvent(service, EventRecorder.Warning, ReasonFailed, message);
                    }
                    break;
                case AllocationOutcome.Kept or AllocationOutcome.Restored:
                    _failures.Remove(result.Service);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task WriteEventsAsync(IReadOnlyCollection<PendingEvent> events, CancellationToken term)
    {
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = _options.Writers, CancellationToken = term }, async (pending, ct) =>
        {
            try
            {
                await _events.RecordAsync(pending.About, pending.Type, pending.Reason, pending.Message, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _eventsWritten);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is ApiException or HttpRequestException or IOException or JsonException)
            {
                // An Event is a notice: the status and the log carry the same, so it is not retried.
                Log.EventFailed(_log, pending.About.Subject, pending.Reason, e.Message);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>ingress[].ipMode exists from Kubernetes 1.29 (KEP-1860); an older server would refuse or drop it.</summary>
    private async Task<bool> ServerHasIpModeAsync(CancellationToken cancellationToken)
    {
        using var version = await _api.GetAsync("version", cancellationToken).ConfigureAwait(false);
        var major = Digits(version.RootElement.GetProperty("major").GetString());
        var minor = Digits(version.RootElement.GetProperty("minor").GetString());
        return new Version(major, minor) >= IpModeSince;
    }

    // "24+" on some distributions: the leading digits are the number.
    private static int Digits(string? text) =>
        int.TryParse(new string((text ?? "").TakeWhile(char.IsAsciiDigit).ToArray()), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

    public void Dispose()
    {
        lock (_leadership)
        {
            _term?.Dispose();
            _term = null;
        }
    }

    private readonly record struct PendingEvent(ClusterObject About, string Type, string Reason, string Message);
}
