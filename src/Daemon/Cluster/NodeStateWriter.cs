using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.Daemon.Admin;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Keeps the NodeState named after this node equal to what its <see cref="DaemonHost"/> really does (issue 10:
/// status you can trust): each BGP session's RFC 4271 state, each BFD session's RFC 5880 state, and per Service
/// whether each peer is given it and why not, and the L2 owner (the admin API's reasons, <see cref="AdminViews.Vips"/>).
/// The status subresource is written only when it differs from the object as stored (read back, or our own
/// write's answer), at most once per <see cref="NodeStateOptions.MinInterval"/> with the newest state at the end
/// of the window, and then only the members that differ (a merge patch leaves the others as they are). What is
/// stored is kept as a digest per member (<see cref="JsonDigest"/>), not as the status: the Services' part is one
/// line per Service and is built again only when an event of the daemon may have changed it (an apply, a session's
/// state, a drain, an L2 owner) or at the read-back; a poll looks at the sessions alone. The writer only reads the daemon's status (its events just wake it), so the engines never
/// wait on the API server; while the server is away it retries with a doubling backoff and writes the newest
/// state on its return. A missing object (never made, or deleted) is created with <c>spec.nodeName</c> and, given a
/// <see cref="NodeStateOwner"/>, owned by the speaker's Pod; one owned by another Pod (the one before a restart) is
/// taken over at the first read.
/// </summary>
public sealed class NodeStateWriter
{
    public static readonly ResourceType Type = new("NodeState", "bgplb.io/v1beta1", "nodestates", Namespaced: true);

    /// <summary>How long a BFD worker status query may take before the last known BFD states are written instead.</summary>
    private static readonly TimeSpan BfdQueryTimeout = TimeSpan.FromSeconds(5);

    private readonly ApiConnection _api;
    private readonly string _namespace;
    private readonly string _node;
    private readonly DaemonHost _host;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly NodeStateOptions _options;
    private readonly NodeStateOwner? _owner;
    private bool _ownerNeeded;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Observed> _bgpSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Observed> _bfdSince = new(StringComparer.Ordinal);
    private IReadOnlyList<BfdSessionView> _bfd = [];
    private Validity? _reported;
    private Validity? _lastValidity;
    private DateTimeOffset? _validSince;
    // What the server holds, as a digest per member of its status (meaningful while _known; otherwise it is read
    // first), and its Valid condition's status and lastTransitionTime (a restart keeps the transition's time).
    private Dictionary<string, string> _stored = [];
    private (bool Valid, DateTimeOffset At)? _storedValid;
    private bool _known;
    // Bumped by every event after which the Services' part may read otherwise; the part's digests are of _servicesBuilt.
    private long _generation;
    private long _servicesBuilt = -1;
    private Dictionary<string, string> _services = [];
    private long _writes;
    private long _servicesBuilds;

    public NodeStateWriter(ApiConnection api, string @namespace, string node, DaemonHost host, ILogger log, TimeProvider time,
        NodeStateOptions? options = null, NodeStateOwner? owner = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(node);
        ArgumentNullException.ThrowIfNull(host);
        _api = api;
        _namespace = @namespace;
        _node = node;
        _host = host;
        _log = log;
        _time = time;
        _options = options ?? new NodeStateOptions();
        _owner = owner;
    }

    /// <summary>Status writes that reached the server (for metrics and tests).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Builds of the Services' part of the status (for tests: none while nothing changes between read-backs).</summary>
    public long ServicesBuilds => Interlocked.Read(ref _servicesBuilds);

    /// <summary>
    /// Tells the writer how the last build of the cluster's objects went (<c>bgplb speaker</c> calls it after each):
    /// objects refused, or the whole set kept at its last good version, make condition <c>Valid</c> False with the
    /// findings; none makes it True. Without a call, the standalone daemon's last rejected reload says it.
    /// </summary>
    public void Report(ClusterConfigResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var errors = result.Diagnostics.Where(d => d.Severity == Severity.Error).Select(ClusterConfiguration.Describe).ToList();
        Validity validity = result switch
        {
            { KeptLastGood: true } => new(false, NodeStateStatus.ReasonKeptLastGood,
                string.Join("\n", errors) + "\nthe objects are refused together (a check across objects): the last good configuration stays in force"),
            { Refused.IsEmpty: false } => new(false, NodeStateStatus.ReasonRefused,
                string.Join("\n", errors) + "\nthe refused objects' last good versions stay in force"),
            _ => Accepted,
        };
        lock (_lock)
        {
            _reported = validity;
        }
        Wake();
    }

    private static Validity Accepted => new(true, NodeStateStatus.ReasonAccepted, "every object is in force as written");

    /// <summary>Writes until <paramref name="cancellationToken"/>; API errors are retried, never thrown.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Log.NodeStateStarting(_log, _node, _namespace, _options.MinInterval.TotalSeconds);
        _host.Changed += OnDaemonEvent;
        _host.Speaker.PeerStateChanged += OnPeerState;
        _host.NodeDrain.Changed += OnDrain;
        _host.Layer2.OwnerChanged += OnOwner;
        _host.Layer2.Reelected += ServicesMayHaveChanged;
        try
        {
            await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping: the object stays as last written (a speaker that stops has no sessions to tell of)
        }
        finally
        {
            _host.Changed -= OnDaemonEvent;
            _host.Speaker.PeerStateChanged -= OnPeerState;
            _host.NodeDrain.Changed -= OnDrain;
            _host.Layer2.OwnerChanged -= OnOwner;
            _host.Layer2.Reelected -= ServicesMayHaveChanged;
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.InitialBackoff;
        long? lastWrite = null;
        var lastRead = _time.GetTimestamp();
        while (true)
        {
            try
            {
                if (!_known || _time.GetElapsedTime(lastRead) >= _options.ResyncInterval)
                {
                    await ReadOrCreateAsync(cancellationToken).ConfigureAwait(false);
                    if (_ownerNeeded)
                    {
                        await OwnAsync(cancellationToken).ConfigureAwait(false);
                    }
                    lastRead = _time.GetTimestamp();
                }
                var patch = await ChangesAsync(cancellationToken).ConfigureAwait(false);
                if (patch.Count > 0)
                {
                    await WriteAsync(patch, cancellationToken).ConfigureAwait(false);
                    lastWrite = _time.GetTimestamp();
                }
                backoff = _options.InitialBackoff;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is ApiException or HttpRequestException or IOException or JsonException or OperationCanceledException or KeyNotFoundException)
            {
                // The server away, slow, or answering oddly: what it holds is unknown until it is read again,
                // and the next try writes the newest state, not the one that failed.
                _known = false;
                Log.NodeStateFailed(_log, _node, backoff.TotalSeconds, e.Message);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                continue;
            }
            await PaceAsync(lastWrite, lastRead, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits out the rest of the write window (changes meanwhile leave a wake-up behind, so the newest state is
    /// written at the window's end), then until something changes, the poll interval passes or a read-back is due.
    /// </summary>
    private async Task PaceAsync(long? lastWrite, long lastRead, CancellationToken cancellationToken)
    {
        if (lastWrite is { } written)
        {
            var rest = _options.MinInterval - _time.GetElapsedTime(written);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        var untilResync = _options.ResyncInterval - _time.GetElapsedTime(lastRead);
        var wait = untilResync < _options.PollInterval ? untilResync : _options.PollInterval;
        if (wait > TimeSpan.Zero)
        {
            using var timeout = new CancellationTokenSource(wait, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await _wake.Reader.WaitToReadAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // the poll interval is over
            }
        }
        _wake.Reader.TryRead(out _);
    }

    /// <summary>Reads the object; creates it when missing. Its status becomes what the next comparison is against.</summary>
    private async Task ReadOrCreateAsync(CancellationToken cancellationToken)
    {
        var path = Type.ObjectPath(_namespace, _node);
        try
        {
            using var stored = await _api.GetAsync(path, cancellationToken).ConfigureAwait(false);
            Keep(stored);
            return;
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // not there (first start, or deleted): made below
        }
        await CreateAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = Type.ApiVersion,
            ["kind"] = Type.Kind,
            ["metadata"] = new JsonObject { ["name"] = _node, ["namespace"] = _namespace },
            ["spec"] = new JsonObject { ["nodeName"] = _node },
        };
        if (OwnerReferences() is { } owners)
        {
            body["metadata"]!["ownerReferences"] = owners;
        }
        try
        {
            using var created = await _api.PostAsync(Type.CollectionPathIn(_namespace), body.ToJsonString(), cancellationToken).ConfigureAwait(false);
            Keep(created);
            Log.NodeStateCreated(_log, _node, _namespace);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            // Made meanwhile (a previous try whose answer was lost): read what is there.
            using var stored = await _api.GetAsync(Type.ObjectPath(_namespace, _node), cancellationToken).ConfigureAwait(false);
            Keep(stored);
        }
    }

    /// <summary>The speaker's Pod as the one owner, or null (no owner given: the member is left out of a create).</summary>
    private JsonArray? OwnerReferences() => _owner is { } owner
        ? new JsonArray((JsonNode)new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = owner.PodName, ["uid"] = owner.PodUid })
        : null;

    /// <summary>
    /// Makes the speaker's Pod the object's owner (a merge patch replaces the list whole): the object was made by
    /// the Pod before this one, whose deletion would otherwise take it away, or by someone else.
    /// </summary>
    private async Task OwnAsync(CancellationToken cancellationToken)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = OwnerReferences() } }.ToJsonString();
        try
        {
            using var answer = await _api.MergePatchAsync(Type.ObjectPath(_namespace, _node), patch, cancellationToken).ConfigureAwait(false);
            Keep(answer);
            Log.NodeStateOwned(_log, _node, _owner!.PodName);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity)
        {
            // Refused (no patch on nodestates, or an owner the server will not take): the status still matters
            // more than who owns the object, so it is written all the same; the next read-back tries again.
            _ownerNeeded = false;
            Log.NodeStateNotOwned(_log, _node, e.Message);
        }
    }

    /// <summary>A merge patch (RFC 7386) of the status subresource with the members that differ from the stored ones (§2: a member left out stays, a null one is removed).</summary>
    private async Task WriteAsync(JsonObject status, CancellationToken cancellationToken)
    {
        var patch = new JsonObject { ["status"] = status }.ToJsonString();
        var path = Type.ObjectPath(_namespace, _node) + "/status";
        JsonDocument answer;
        try
        {
            answer = await _api.MergePatchAsync(path, patch, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // Deleted since we last looked: made again, then written whole (the new object has no status yet).
            await CreateAsync(cancellationToken).ConfigureAwait(false);
            var whole = await ChangesAsync(cancellationToken).ConfigureAwait(false);
            answer = await _api.MergePatchAsync(path, new JsonObject { ["status"] = whole }.ToJsonString(), cancellationToken).ConfigureAwait(false);
        }
        using (answer)
        {
            Interlocked.Increment(ref _writes);
            Keep(answer);
            var version = answer.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? "";
            Log.NodeStateWritten(_log, _node, version);
        }
    }

    private static bool OwnedBy(JsonElement item, string uid) =>
        item.TryGetProperty("metadata", out var metadata)
        && metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array
        && owners.EnumerateArray().Any(o => o.ValueKind == JsonValueKind.Object && o.TryGetProperty("uid", out var u) && u.ValueKind == JsonValueKind.String && u.GetString() == uid);

    /// <summary>The stored object's status (as the server holds it: its own answer) is what the next state is compared with: its members' digests are kept.</summary>
    private void Keep(JsonDocument stored)
    {
        _stored = [];
        _storedValid = null;
        _ownerNeeded = _owner is { } owner && !OwnedBy(stored.RootElement, owner.PodUid);
        if (stored.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in status.EnumerateObject())
            {
                _stored[member.Name] = JsonDigest.Of(member.Value);
            }
            _storedValid = StoredValid(status);
        }
        _known = true;
    }

    /// <summary>
    /// The status members to write: the sessions' part (looked at on every pass) and the Services' part (built
    /// again only when an event changed the daemon's state since its last build, or when the stored one is not
    /// the one built last: a write failed, the object was made again, or someone else wrote it), each member only
    /// when its digest differs from the stored one's; a stored member we no longer write is null.
    /// </summary>
    private async Task<JsonObject> ChangesAsync(CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(cancellationToken).ConfigureAwait(false);
        var patch = new JsonObject();
        MoveChanged(sessions, JsonDigest.OfMembers(sessions), patch);
        var generation = Interlocked.Read(ref _generation);
        if (generation != _servicesBuilt || _services.Any(m => _stored.GetValueOrDefault(m.Key) != m.Value))
        {
            // The generation is read before the build: an event during it makes the next pass build again.
            var services = NodeStateStatus.Services(AdminViews.Vips(_host, _node), _options);
            Interlocked.Increment(ref _servicesBuilds);
            _services = JsonDigest.OfMembers(services);
            _servicesBuilt = generation;
            MoveChanged(services, _services, patch);
        }
        foreach (var name in _stored.Keys)
        {
            if (!sessions.ContainsKey(name) && !patch.ContainsKey(name) && !_services.ContainsKey(name))
            {
                patch[name] = null;
            }
        }
        return patch;
    }

    /// <summary>Moves each member of <paramref name="part"/> whose digest is not the stored one's into <paramref name="patch"/>.</summary>
    private void MoveChanged(JsonObject part, Dictionary<string, string> digests, JsonObject patch)
    {
        foreach (var (name, digest) in digests)
        {
            if (_stored.GetValueOrDefault(name) != digest)
            {
                var member = part[name];
                part.Remove(name);
                patch[name] = member;
            }
        }
    }

    /// <summary>What the sessions' part of the status (and its Valid condition) should say now.</summary>
    private async Task<JsonObject> SessionsAsync(CancellationToken cancellationToken)
    {
        var peers = _host.Speaker.Peers;
        var now = _time.GetUtcNow();
        await RefreshBfdAsync(cancellationToken).ConfigureAwait(false);
        // Copies taken under the lock, the building outside it: the sessions' loops take the lock to record a
        // state change, and an API call must not hold them up.
        Dictionary<string, Observed> bgpSince;
        Dictionary<string, Observed> bfdSince;
        IReadOnlyList<BfdSessionView> bfd;
        Validity validity;
        DateTimeOffset? validSince;
        lock (_lock)
        {
            foreach (var peer in peers)
            {
                Observe(_bgpSince, peer.Name, peer.State.ToString(), now);
            }
            foreach (var view in _bfd)
            {
                Observe(_bfdSince, view.Peer, NodeStateStatus.StateOf(view), now);
            }
            validity = _reported ?? (_host.LastRejected is { } rejected
                ? new Validity(false, NodeStateStatus.ReasonKeptLastGood, string.Join("\n", rejected.Errors) + "\nthe last good configuration stays in force")
                : Accepted);
            if (_lastValidity?.Valid != validity.Valid)
            {
                _validSince = _storedValid is { } stored && stored.Valid == validity.Valid ? stored.At : now;
            }
            _lastValidity = validity;
            validSince = _validSince;
            bgpSince = new Dictionary<string, Observed>(_bgpSince, StringComparer.Ordinal);
            bfdSince = new Dictionary<string, Observed>(_bfdSince, StringComparer.Ordinal);
            bfd = _bfd;
        }
        return NodeStateStatus.Sessions(peers, bgpSince, bfd, bfdSince, validity, validSince);
    }

    /// <summary>A session's since is when we first saw it in its state (Established's is the speaker's own time).</summary>
    private static void Observe(Dictionary<string, Observed> since, string key, string state, DateTimeOffset now)
    {
        if (!since.TryGetValue(key, out var seen) || seen.State != state)
        {
            since[key] = new Observed(state, now);
        }
    }

    /// <summary>The stored Valid condition's status and lastTransitionTime, if it has one.</summary>
    private static (bool Valid, DateTimeOffset At)? StoredValid(JsonElement status) =>
        Conditions.Find(status, Conditions.Valid) is { } condition
        && Conditions.Text(condition, "status") is "True" or "False"
        && DateTimeOffset.TryParse(Conditions.Text(condition, "lastTransitionTime"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? (Conditions.Text(condition, "status") == "True", at)
            : null;

    /// <summary>Asks the BFD worker; a worker that does not answer in time leaves the last known states.</summary>
    private async Task RefreshBfdAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(BfdQueryTimeout);
        try
        {
            var views = await _host.BfdStatusAsync(timeout.Token).ConfigureAwait(false);
            lock (_lock)
            {
                _bfd = views;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.NodeStateBfdSlow(_log, BfdQueryTimeout.TotalSeconds);
        }
    }

    private void OnDaemonEvent(DaemonEvent e) => ServicesMayHaveChanged();

    private void OnDrain(DrainPhase phase) => ServicesMayHaveChanged();

    private void OnOwner(L2OwnerChange change) => ServicesMayHaveChanged();

    /// <summary>On the session's loop: records when the state began (cheap, under a lock no API call holds) and wakes the writer.</summary>
    private void OnPeerState(string peer, Transition transition)
    {
        if (transition.From == transition.To)
        {
            return;
        }
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _bgpSince[peer] = new Observed(transition.To.ToString(), now);
        }
        // Each Service's line says per peer "advertised" or "session down (state)".
        ServicesMayHaveChanged();
    }

    private void ServicesMayHaveChanged()
    {
        Interlocked.Increment(ref _generation);
        Wake();
    }

    private void Wake() => _wake.Writer.TryWrite(true);
}
