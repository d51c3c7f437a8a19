using System.Threading.Channels;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// <c>bgplb speaker</c> (DESIGN.md §4, docs/speaker.md): watches the objects a node's announcements depend on
/// and drives the standalone daemon's engines through <see cref="DaemonHost"/> with a <see cref="SpeakerSource"/>.
/// Every watch event asks the host for a reload; the host's quiet time makes a burst one apply. When the API
/// server is away the stores keep their objects, so nothing changes and nothing is withdrawn; when it is back
/// the watches resume (or relist) and only real differences reach the engines, which diff against what they hold.
/// </summary>
public sealed class Speaker : IAsyncDisposable
{
    public const string Component = "bgplb-speaker";

    private readonly ApiConnection _api;
    private readonly SpeakerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ResourceStore _services = new(ResourceType.Services);
    private readonly ResourceStore[] _stores;
    private readonly SpeakerSource _source;
    private readonly RefusalReporter _refusals;
    private readonly EventRecorder _events;
    private readonly Channel<(ClusterObject About, string Message)> _pendingEvents = Channel.CreateUnbounded<(ClusterObject, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly NodeStateWriter _nodeState;

    /// <param name="run">The engines' options (node, ports, drain); its source is set here.</param>
    public Speaker(ApiConnection api, SpeakerOptions options, RunOptions run, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(loggers);
        _api = api;
        _options = options;
        _time = time;
        _log = loggers.CreateLogger("BgpLb.Daemon.Speaker");
        _stores =
        [
            new(ResourceType.Nodes), new(ResourceType.Namespaces), _services, new(ResourceType.EndpointSlices), new(ResourceType.Secrets),
            new(ResourceType.IpAddressPools), new(ResourceType.BgpPeers), new(ResourceType.BgpAdvertisements), new(ResourceType.L2Advertisements),
            new(ResourceType.BfdProfiles), new(ResourceType.Communities),
        ];
        _source = new SpeakerSource(_stores, _services, options.Namespace, options.LoadBalancerClass);
        _refusals = new RefusalReporter(_log);
        _events = new EventRecorder(api, Component, run.NodeName, time);
        Host = new DaemonHost(run with { Source = _source, ReloadDebounce = options.Debounce, ReloadDebounceLimit = options.DebounceLimit }, loggers, time);
        // This node's NodeState (docs/kubernetes.md): what the engines really do, written on change.
        _nodeState = new NodeStateWriter(api, options.Namespace, run.NodeName, Host, _log, time, owner: options.Pod);
        _source.Built += built =>
        {
            _nodeState.Report(built);
            foreach (var pending in _refusals.Report(built))
            {
                _pendingEvents.Writer.TryWrite(pending);
            }
        };
        foreach (var store in _stores)
        {
            // Before the first apply the host queues these; they then make one reload after it, which finds
            // whatever changed while the first configuration was being built.
            store.Changed += s =>
            {
                Host.RequestReload("watch: " + s.Type.Kind, immediate: false);
                _wake.Writer.TryWrite(true);
            };
        }
    }

    /// <summary>The engines, the admin API's and the metrics' view of this node.</summary>
    public DaemonHost Host { get; }

    /// <summary>Whether every watched kind has been listed once.</summary>
    public bool Synced => _stores.All(s => s.Synced);

    /// <summary>Watches until <paramref name="stop"/>; applies from the first complete, valid set of objects on; then stops the sessions in order.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var classRule = LoadBalancerClassRule.Describe(_options.LoadBalancerClass);
        Log.SpeakerStarting(_log, Host.Options.NodeName, _options.Namespace, classRule);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var tasks = _stores.Select(s => new ResourceWatch(_api, s, _options.Watch, _log, _time, InOurNamespace(s.Type) ? _options.Namespace : null).RunAsync(watching.Token)).ToList();
        var events = WriteEventsAsync(watching.Token);
        var nodeState = _nodeState.RunAsync(watching.Token);
        try
        {
            var first = await FirstConfigurationAsync(stop).ConfigureAwait(false);
            if (first is not null)
            {
                await Host.RunAsync(first.Snapshot!, Host.LogWarnings(first), stop).ConfigureAwait(false);
            }
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll([.. tasks, events, nodeState]).ConfigureAwait(false);
            Log.SpeakerStopped(_log, Host.Options.NodeName);
        }
    }

    /// <summary>The bgplb.io kinds and the Secrets are read in the speaker's namespace only (as RBAC grants); the core kinds cluster-wide.</summary>
    private static bool InOurNamespace(ResourceType type) => type.ApiVersion.StartsWith("bgplb.io/", StringComparison.Ordinal) || type == ResourceType.Secrets;

    /// <summary>
    /// Waits until every kind is listed (before that, a missing object means "not known yet", and announcing
    /// without it could withdraw what its presence would keep) and the objects make a valid configuration;
    /// null when stopped first.
    /// </summary>
    private async Task<Model.ConfigLoadResult?> FirstConfigurationAsync(CancellationToken stop)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                if (!Synced)
                {
                    continue; // each first list wakes this again
                }
                var loaded = _source.Load();
                if (loaded.Snapshot is not null)
                {
                    Log.SpeakerSynced(_log, loaded.Files);
                    return loaded;
                }
                Log.SpeakerNoConfiguration(_log, loaded.Errors.Count());
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopped before anything was announced
        }
        return null;
    }

    /// <summary>Writes the InvalidConfiguration Events off the control loop: an API server that is slow or away must not hold up announcing.</summary>
    private async Task WriteEventsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (about, message) in _pendingEvents.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _events.RecordAsync(about, EventRecorder.Warning, RefusalReporter.ReasonInvalid, message, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is ApiException or HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    // A notice: the log says the same, so it is not retried.
                    Log.EventFailed(_log, about.Subject, RefusalReporter.ReasonInvalid, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
