using BgpLb.Daemon.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// Counts the changes of each Service's <c>status</c> in one namespace through a watch of its own: every
/// write that changed the status is a new resourceVersion with another status (a write that changes
/// nothing gives no event, and the controller compares before writing, so writes ≥ changes counted).
/// </summary>
public sealed class StatusCounter : IAsyncDisposable
{
    private readonly ApiConnection _api;
    private readonly ResourceStore _store = new(ResourceType.Services);
    private readonly Dictionary<string, (string Version, string Status)> _status = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _changes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;
    private bool _baselined;

    /// <summary>The status a Service is created with (a create ignores status; the server defaults it).</summary>
    private const string CreationStatus = """{"loadBalancer":{}}""";

    public StatusCounter(ApiServer server, string ns)
    {
        _api = ApiConnection.Open(server.KubeconfigPath);
        _store.Changed += Listed;
        _store.Stored += Seen;
        _task = new ResourceWatch(_api, _store, new WatchOptions(), NullLogger.Instance, TimeProvider.System, ns).RunAsync(_stop.Token);
    }

    public bool Synced => _store.Synced;

    /// <summary>Status changes of <paramref name="name"/> since the counter started.</summary>
    public int ChangesOf(string name)
    {
        lock (_lock)
        {
            return _changes.GetValueOrDefault(name);
        }
    }

    /// <summary>The first ingress IP of each Service that has one, as the watch last saw them.</summary>
    public Dictionary<string, string> Ips() =>
        _store.Objects().Select(o => (o.Name, Ips: ServiceStatus.IngressOf(o)))
            .Where(s => !s.Ips.IsEmpty)
            .ToDictionary(s => s.Name, s => s.Ips[0].ToString(), StringComparer.Ordinal);

    public int TotalChanges
    {
        get
        {
            lock (_lock)
            {
                return _changes.Values.Sum();
            }
        }
    }

    /// <summary>The first list is the baseline; each object stored after it is looked at once (10,000 Services are not read again for each event).</summary>
    private void Listed(ResourceStore store)
    {
        lock (_lock)
        {
            if (_baselined)
            {
                return;
            }
            foreach (var item in store.Objects())
            {
                _status[item.Name] = (item.ResourceVersion, StatusOf(item));
            }
            _baselined = true;
        }
    }

    private void Seen(ClusterObject item)
    {
        lock (_lock)
        {
            var seen = _status.TryGetValue(item.Name, out var known);
            if (seen && known.Version == item.ResourceVersion)
            {
                return;
            }
            var status = StatusOf(item);
            // A Service first seen after the first list was created since, with the creation status.
            if ((seen ? known.Status : CreationStatus) != status)
            {
                _changes[item.Name] = _changes.GetValueOrDefault(item.Name) + 1;
            }
            _status[item.Name] = (item.ResourceVersion, status);
        }
    }

    private static string StatusOf(ClusterObject item) => item.Json.TryGetProperty("status", out var s) ? s.GetRawText() : CreationStatus;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _task.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        _api.Dispose();
    }
}
