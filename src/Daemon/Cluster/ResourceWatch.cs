using System.Globalization;
using System.Net;
using System.Text.Json;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Keeps a <see cref="ResourceStore"/> equal to one kind in the API server: list, then watch from the
/// list's resourceVersion; when a watch ends (the server's timeoutSeconds, a dropped connection) resume
/// from the last resourceVersion seen, bookmarks included; on 410 Gone (that version is no longer in the
/// server's history) list again. Errors wait a bounded, doubling backoff. The store keeps the last known
/// objects throughout: a server that is away does not empty it.
/// </summary>
/// <param name="scope">The one namespace watched; null: all.</param>
public sealed class ResourceWatch(ApiConnection api, ResourceStore store, WatchOptions options, ILogger log, TimeProvider time, string? scope = null)
{
    private readonly ResourceType _type = store.Type;
    private readonly string _collection = store.Type.CollectionPathIn(scope);

    /// <summary>The version the next watch starts from; null: list first.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>Lists done (the first one included).</summary>
    public int Lists { get; private set; }

    /// <summary>Watches started from a known resourceVersion (the first after each list included).</summary>
    public int Watches { get; private set; }

    /// <summary>410 Gone answers that made it list again.</summary>
    public int Gone { get; private set; }

    /// <summary>Bookmarks received.</summary>
    public int Bookmarks { get; private set; }

    /// <summary>Starts the first watch from <paramref name="resourceVersion"/> without listing (tests: a version the server no longer has).</summary>
    internal void ResumeFrom(string resourceVersion) => ResourceVersion = resourceVersion;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = options.InitialBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (ResourceVersion is null)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                }
                await WatchAsync(cancellationToken).ConfigureAwait(false);
                backoff = options.InitialBackoff;
            }
            catch (GoneException e)
            {
                // The version we hold was compacted away: only a new list can say what exists now.
                Gone++;
                Log.WatchGone(log, _type.Kind, e.Message);
                ResourceVersion = null;
            }
            // KeyNotFoundException: a list or event without a field every object has (metadata.name, items),
            // which no conforming server sends: the watch backs off and tries again rather than dying.
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is HttpRequestException or ApiException or IOException or JsonException or OperationCanceledException or InvalidOperationException
                    or KeyNotFoundException)
            {
                Log.WatchFailed(log, _type.Kind, backoff.TotalSeconds, e.Message);
                try
                {
                    await Task.Delay(backoff, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var items = new List<ClusterObject>();
        string? next = null;
        string version;
        do
        {
            var query = $"{_collection}?limit={options.PageSize.ToString(CultureInfo.InvariantCulture)}"
                + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            using var page = await api.GetAsync(query, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                items.Add(ClusterObject.From(_type, item));
            }
            var metadata = page.RootElement.GetProperty("metadata");
            version = metadata.GetProperty("resourceVersion").GetString() ?? "";
            next = metadata.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
        }
        while (next is not null);
        store.Replace(items);
        Lists++;
        ResourceVersion = version;
        Log.Listed(log, _type.Kind, items.Count, version);
    }

    /// <summary>One watch, from <see cref="ResourceVersion"/> until the server ends it; returns normally then.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var seconds = (int)options.WatchTimeout.TotalSeconds;
        seconds = Math.Max(1, seconds + Random.Shared.Next(seconds + 1));
        var query = $"{_collection}?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(ResourceVersion!)}"
            + $"&timeoutSeconds={seconds.ToString(CultureInfo.InvariantCulture)}";
        // The server ends the watch after timeoutSeconds; a connection that went silent (server gone
        // without a FIN) is ended here, so the watch is never stuck longer than this.
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(TimeSpan.FromSeconds(seconds) + options.StallSlack);
        using var response = await api.SendAsync(HttpMethod.Get, query, null, stall.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            throw new GoneException(ApiConnection.MessageOf(await response.Content.ReadAsStringAsync(stall.Token).ConfigureAwait(false)));
        }
        if (!response.IsSuccessStatusCode)
        {
            (await ApiConnection.ReadAsync(response, "watch " + _type.Plural, stall.Token).ConfigureAwait(false)).Dispose();
        }
        Watches++;
        await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(stall.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                Apply(line);
            }
        }
    }

    private void Apply(string line)
    {
        using var document = JsonDocument.Parse(line);
        var type = document.RootElement.GetProperty("type").GetString();
        var obj = document.RootElement.GetProperty("object");
        switch (type)
        {
            case "ADDED" or "MODIFIED":
                {
                    var item = ClusterObject.From(_type, obj);
                    store.Upsert(item);
                    ResourceVersion = item.ResourceVersion;
                    return;
                }
            case "DELETED":
                {
                    var item = ClusterObject.From(_type, obj);
                    store.Delete(item);
                    ResourceVersion = item.ResourceVersion;
                    return;
                }
            case "BOOKMARK":
                // Only metadata.resourceVersion is meaningful in a bookmark: nothing changed up to it.
                Bookmarks++;
                ResourceVersion = obj.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? ResourceVersion;
                return;
            case "ERROR":
                {
                    var message = obj.TryGetProperty("message", out var m) ? m.GetString() ?? "" : obj.GetRawText();
                    if (obj.TryGetProperty("code", out var code) && code.TryGetInt32(out var status) && status == (int)HttpStatusCode.Gone)
                    {
                        throw new GoneException(message);
                    }
                    throw new ApiException((HttpStatusCode)(obj.TryGetProperty("code", out var c) && c.TryGetInt32(out var s) ? s : 500), "watch " + _type.Plural + ": " + message);
                }
            default:
                throw new InvalidOperationException($"watch {_type.Plural}: an event of type \"{type}\", which the watch protocol does not have");
        }
    }

    /// <summary>410 Gone: the resourceVersion asked for is older than the server's history.</summary>
    private sealed class GoneException(string message) : Exception(message);
}
