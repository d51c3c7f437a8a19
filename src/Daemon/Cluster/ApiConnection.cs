using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Plain HTTP to the API server with the TLS and credentials of a kubeconfig or the Pod's service account
/// (<see cref="KubeConfig"/>), keeping each object's JSON as sent: typed models would drop fields we do not
/// model and bookmarks, and the watch needs resourceVersion, allowWatchBookmarks and the 410 status.
/// </summary>
public sealed class ApiConnection : IDisposable
{
    private readonly HttpClient _client;
    private readonly ApiCredentials? _credentials;
    private readonly Uri _base;

    private ApiConnection(ApiEndpoint endpoint)
    {
        _client = new HttpClient(endpoint.Handler());
        _credentials = endpoint.Credentials;
        _base = new Uri(endpoint.Server.ToString().TrimEnd('/') + "/");
    }

    /// <summary>
    /// A connection with the server and credentials of the kubeconfig file <paramref name="kubeconfig"/>, or of
    /// the Pod's service account when it is null. Throws <see cref="KubeConfigException"/>,
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when neither is usable.
    /// </summary>
    public static ApiConnection Open(string? kubeconfig) => new(kubeconfig is not null
        ? KubeConfig.FromFile(kubeconfig, TimeProvider.System)
        : KubeConfig.InCluster(TimeProvider.System));

    /// <summary>As <see cref="Open"/>, but null when neither the kubeconfig nor a service account is usable, with <paramref name="error"/> saying what to give instead.</summary>
    public static ApiConnection? TryOpen(string? kubeconfig, out string error)
    {
        error = "";
        try
        {
            return Open(kubeconfig);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException)
        {
            error = kubeconfig is null ? $"not in a cluster ({e.Message}); give --kubeconfig" : $"--kubeconfig {kubeconfig}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// Sends a request for <paramref name="pathAndQuery"/> (relative to the server) with the client's credentials; returns once the
    /// headers are in: the body is read by the caller from the connection (a watch's never ends; an object's is parsed as it comes).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, pathAndQuery)) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_credentials is not null)
        {
            try
            {
                request.Headers.Authorization = await _credentials.HeaderAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (KubeConfigException e)
            {
                // A credential plugin that failed this time fails this request, which the caller retries as any other.
                throw new HttpRequestException($"credentials for {_base}: {e.Message}", e);
            }
        }
        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // A rotated service account token or an expired plugin token: the next request fetches it again.
            _credentials?.Rejected();
        }
        return response;
    }

    /// <summary>GET as JSON; a status other than 2xx is an <see cref="ApiException"/> carrying it and the server's message.</summary>
    public async Task<JsonDocument> GetAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, "GET " + pathAndQuery, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A JSON merge patch (RFC 7386) of <paramref name="pathAndQuery"/>; returns the object as stored.</summary>
    public async Task<JsonDocument> MergePatchAsync(string pathAndQuery, string patch, CancellationToken cancellationToken)
    {
        using var content = new StringContent(patch, Encoding.UTF8, new MediaTypeHeaderValue("application/merge-patch+json"));
        using var response = await SendAsync(HttpMethod.Patch, pathAndQuery, content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, "PATCH " + pathAndQuery, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST of a JSON object; returns the object as stored.</summary>
    public async Task<JsonDocument> PostAsync(string pathAndQuery, string body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await SendAsync(HttpMethod.Post, pathAndQuery, content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, "POST " + pathAndQuery, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>PUT of a whole object (a replace; conditional on its metadata.resourceVersion when it has one); returns the object as stored.</summary>
    public async Task<JsonDocument> PutAsync(string pathAndQuery, string body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await SendAsync(HttpMethod.Put, pathAndQuery, content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, "PUT " + pathAndQuery, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new ApiException(response.StatusCode, $"{what}: {(int)response.StatusCode} {MessageOf(body)}");
        }
        // Parsed from the connection as the bytes arrive (SendAsync returns at the headers), into pooled buffers: a
        // page of 500 Services or a NodeState of 10,000 is half a MiB of JSON, and buffering it whole, then making a
        // string of it, would put another 1.5 MiB on the large object heap per answer.
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The message of a metav1.Status body, or the body itself.</summary>
    internal static string MessageOf(string body)
    {
        try
        {
            using var status = JsonDocument.Parse(body);
            if (status.RootElement.ValueKind == JsonValueKind.Object && status.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
            // not a Status: the body says it in its own words
        }
        return body.Length > 500 ? body[..500] : body;
    }

    public void Dispose() => _client.Dispose();
}
