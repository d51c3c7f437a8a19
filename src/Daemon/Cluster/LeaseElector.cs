using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Leader election on a <c>coordination.k8s.io/v1</c> Lease, by client-go's rules (and compatible with its
/// replicas on the same Lease): a candidate takes the Lease when it has no holder, or when the holder's
/// record has not changed for the record's own <c>leaseDurationSeconds</c> as measured on this process's
/// monotonic clock (never by comparing the holder's <c>renewTime</c> with our wall clock, so skew between
/// nodes cannot shorten a term); every write is an update with the read <c>resourceVersion</c>, so of two
/// candidates racing only one wins (the other gets 409 Conflict). The leader renews every retry period
/// and gives up leading when no renewal succeeded for the renew deadline, which is shorter than the
/// lease, so it has stopped before anyone else may take over.
/// Written on <see cref="ApiConnection"/> (plain JSON) instead of KubernetesClient's elector, which the
/// Native AOT flavour of that library does not ship.
/// </summary>
public sealed class LeaseElector
{
    private readonly ApiConnection _api;
    private readonly string _path;
    private readonly string _collection;
    private readonly string _namespace;
    private readonly string _name;
    private readonly string _identity;
    private readonly TimeSpan _leaseDuration;
    private readonly TimeSpan _renewDeadline;
    private readonly TimeSpan _retryPeriod;
    private readonly TimeProvider _time;

    // The record as last read or written, and when (monotonic) it last changed: the expiry clock of another holder.
    private string? _observedRecord;
    private long _observedAt;
    private string _observedHolder = "";

    public LeaseElector(ApiConnection api, string @namespace, string name, string identity,
        TimeSpan leaseDuration, TimeSpan renewDeadline, TimeSpan retryPeriod, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        if (!(retryPeriod < renewDeadline && renewDeadline < leaseDuration))
        {
            throw new ArgumentException($"leader election needs retry period ({retryPeriod.TotalSeconds} s) < renew deadline ({renewDeadline.TotalSeconds} s) < lease duration ({leaseDuration.TotalSeconds} s)");
        }
        _api = api;
        _namespace = @namespace;
        _name = name;
        _collection = $"apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(@namespace)}/leases";
        _path = _collection + "/" + Uri.EscapeDataString(name);
        _identity = identity;
        _leaseDuration = leaseDuration;
        _renewDeadline = renewDeadline;
        _retryPeriod = retryPeriod;
        _time = time;
    }

    /// <summary>This process took the Lease: its term begins.</summary>
    public event Action? StartedLeading;

    /// <summary>This process no longer holds the Lease (renewal failed past the deadline, or stopping).</summary>
    public event Action? StoppedLeading;

    /// <summary>The Lease's holder changed (another process, or this one).</summary>
    public event Action<string>? NewLeader;

    /// <summary>A read or write of the Lease failed; the election goes on.</summary>
    public event Action<string>? Error;

    /// <summary>Takes the Lease when it can, holds it while it can, and goes back to trying when it is lost, until <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await AcquireAsync(cancellationToken).ConfigureAwait(false);
            StartedLeading?.Invoke();
            try
            {
                await RenewAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                StoppedLeading?.Invoke();
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Gives the Lease up if this process holds it (no holder, one second), as client-go's ReleaseOnCancel does,
    /// so the next candidate takes over at its next try instead of after a whole lease duration.
    /// Returns whether it was released.
    /// </summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken)
    {
        using var current = await _api.GetAsync(_path, cancellationToken).ConfigureAwait(false);
        var spec = Spec(current.RootElement);
        if (!string.Equals(spec.Holder, _identity, StringComparison.Ordinal))
        {
            return false;
        }
        var now = Stamp(_time.GetUtcNow());
        using var written = await _api.PutAsync(_path, Lease(current.RootElement, "", 1, now, now, spec.Transitions), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            // Up to 20 % later than the period (client-go's JitterFactor 1.2), so candidates do not march in step.
            var jitter = _retryPeriod * (1 + Random.Shared.NextDouble() * 0.2);
            await Task.Delay(jitter, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Renews every retry period; returns when no renewal succeeded within the renew deadline.</summary>
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(_retryPeriod, _time, cancellationToken).ConfigureAwait(false);
            var deadline = _time.GetTimestamp() + (long)(_renewDeadline.TotalSeconds * _time.TimestampFrequency);
            while (!await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero)
                {
                    Error?.Invoke($"Lease {_namespace}/{_name} not renewed within the renew deadline ({_renewDeadline.TotalSeconds} s)");
                    return;
                }
                await Task.Delay(left < _retryPeriod ? left : _retryPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One read and, when the Lease is free or ours, one write. False when another holds it or the API failed.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            JsonDocument current;
            try
            {
                current = await _api.GetAsync(_path, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                var created = new JsonObject
                {
                    ["apiVersion"] = "coordination.k8s.io/v1",
                    ["kind"] = "Lease",
                    ["metadata"] = new JsonObject { ["name"] = _name, ["namespace"] = _namespace },
                    ["spec"] = SpecOf(_identity, (int)_leaseDuration.TotalSeconds, Stamp(now), Stamp(now), 0),
                };
                using var answer = await _api.PostAsync(_collection, created.ToJsonString(), cancellationToken).ConfigureAwait(false);
                Observe(answer.RootElement);
                return true;
            }
            using (current)
            {
                var spec = Observe(current.RootElement);
                var ours = string.Equals(spec.Holder, _identity, StringComparison.Ordinal);
                if (!ours && spec.Holder.Length > 0
                    && _time.GetElapsedTime(_observedAt) < TimeSpan.FromSeconds(spec.DurationSeconds > 0 ? spec.DurationSeconds : _leaseDuration.TotalSeconds))
                {
                    return false;
                }
                var lease = Lease(current.RootElement, _identity, (int)_leaseDuration.TotalSeconds,
                    ours && spec.Acquired is { } acquired ? acquired : Stamp(now), Stamp(now), ours ? spec.Transitions : spec.Transitions + 1);
                using var answer = await _api.PutAsync(_path, lease, cancellationToken).ConfigureAwait(false);
                Observe(answer.RootElement);
                return true;
            }
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            return false; // another candidate wrote first: read again next time
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException
            || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Error?.Invoke($"Lease {_namespace}/{_name}: {e.Message}");
            return false;
        }
    }

    private LeaseSpec Observe(JsonElement lease)
    {
        var spec = Spec(lease);
        var record = lease.TryGetProperty("spec", out var raw) ? raw.GetRawText() : "";
        if (!string.Equals(record, _observedRecord, StringComparison.Ordinal))
        {
            _observedRecord = record;
            _observedAt = _time.GetTimestamp();
        }
        if (!string.Equals(spec.Holder, _observedHolder, StringComparison.Ordinal))
        {
            _observedHolder = spec.Holder;
            if (spec.Holder.Length > 0)
            {
                NewLeader?.Invoke(spec.Holder);
            }
        }
        return spec;
    }

    private static LeaseSpec Spec(JsonElement lease)
    {
        if (!lease.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
        {
            return new LeaseSpec("", 0, null, 0);
        }
        return new LeaseSpec(
            spec.TryGetProperty("holderIdentity", out var holder) && holder.ValueKind == JsonValueKind.String ? holder.GetString()! : "",
            spec.TryGetProperty("leaseDurationSeconds", out var duration) && duration.ValueKind == JsonValueKind.Number ? duration.GetInt32() : 0,
            spec.TryGetProperty("acquireTime", out var acquired) && acquired.ValueKind == JsonValueKind.String ? acquired.GetString() : null,
            spec.TryGetProperty("leaseTransitions", out var transitions) && transitions.ValueKind == JsonValueKind.Number ? transitions.GetInt32() : 0);
    }

    /// <summary>The object to PUT: the read one (its metadata.resourceVersion makes the write conditional) with a new spec.</summary>
    private static string Lease(JsonElement read, string holder, int durationSeconds, string acquired, string renewed, int transitions)
    {
        var lease = JsonNode.Parse(read.GetRawText())!.AsObject();
        lease["spec"] = SpecOf(holder, durationSeconds, acquired, renewed, transitions);
        return lease.ToJsonString();
    }

    private static JsonObject SpecOf(string holder, int durationSeconds, string acquired, string renewed, int transitions) => new()
    {
        ["holderIdentity"] = holder,
        ["leaseDurationSeconds"] = durationSeconds,
        ["acquireTime"] = acquired,
        ["renewTime"] = renewed,
        ["leaseTransitions"] = transitions,
    };

    // metav1.MicroTime: RFC 3339 with microseconds, UTC.
    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private readonly record struct LeaseSpec(string Holder, int DurationSeconds, string? Acquired, int Transitions);
}
