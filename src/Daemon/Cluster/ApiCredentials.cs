using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BgpLb.Daemon.Cluster;

/// <summary>The Authorization header of each request to the API server.</summary>
internal abstract class ApiCredentials
{
    public abstract ValueTask<AuthenticationHeaderValue> HeaderAsync(CancellationToken cancellationToken);

    /// <summary>The server answered 401 to our header: a credential that can be fetched again is, at the next request (client-go does the same).</summary>
    public virtual void Rejected()
    {
    }
}

/// <summary>A kubeconfig's <c>token</c> or <c>username</c>/<c>password</c>: the same header every time.</summary>
internal sealed class FixedCredentials(AuthenticationHeaderValue header) : ApiCredentials
{
    public static FixedCredentials Bearer(string token) => new(new AuthenticationHeaderValue("Bearer", token));

    public static FixedCredentials Basic(string username, string password) =>
        new(new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password))));

    public AuthenticationHeaderValue Header { get; } = header;

    public override ValueTask<AuthenticationHeaderValue> HeaderAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Header);
}

/// <summary>
/// A token kept in a file that someone else renews: the Pod's projected service account token (the kubelet
/// rotates it before it expires, at 80 % of its life) or a kubeconfig's <c>tokenFile</c>. Read again when a
/// minute has passed or the server refused it, as client-go's cached file token source; a file that cannot
/// be read then leaves the last good token in use.
/// </summary>
internal sealed class TokenFileCredentials : ApiCredentials
{
    internal static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private AuthenticationHeaderValue _header;
    private long _readAt;
    private bool _refused;

    /// <summary>Reads the file now: a token that cannot be read at start is an error, not an anonymous client.</summary>
    public TokenFileCredentials(string path, TimeProvider time)
    {
        _path = path;
        _time = time;
        _header = Read(path);
        _readAt = time.GetTimestamp();
    }

    public override ValueTask<AuthenticationHeaderValue> HeaderAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_refused || _time.GetElapsedTime(_readAt) >= Period)
            {
                try
                {
                    _header = Read(_path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or KubeConfigException)
                {
                    // The last good token stays: a rotation caught between write and rename must not make us anonymous.
                }
                _readAt = _time.GetTimestamp();
                _refused = false;
            }
            return ValueTask.FromResult(_header);
        }
    }

    public override void Rejected()
    {
        lock (_lock)
        {
            _refused = true;
        }
    }

    private static AuthenticationHeaderValue Read(string path)
    {
        var token = File.ReadAllText(path).Trim();
        return token.Length == 0 ? throw new KubeConfigException($"token file {path} is empty") : new AuthenticationHeaderValue("Bearer", token);
    }
}

/// <summary>
/// A kubeconfig's <c>exec</c> credential plugin (client.authentication.k8s.io, KEP-541): the command is run
/// without a terminal, with <c>KUBERNETES_EXEC_INFO</c>, and its ExecCredential's token is used until its
/// <c>expirationTimestamp</c> or a 401; then it is run again. A plugin that answers with a client certificate
/// instead of a token is refused (a certificate would need a new TLS connection pool per renewal).
/// </summary>
internal sealed class ExecCredentials(ExecPlugin plugin, TimeProvider time) : ApiCredentials
{
    /// <summary>How long a plugin may take: it is a bound, not a retry; a plugin that hangs fails the request.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly Lock _lock = new();
    private AuthenticationHeaderValue? _header;
    private DateTimeOffset? _expires;
    private Task<AuthenticationHeaderValue>? _running;

    public override async ValueTask<AuthenticationHeaderValue> HeaderAsync(CancellationToken cancellationToken)
    {
        Task<AuthenticationHeaderValue> running;
        lock (_lock)
        {
            if (_header is not null && (_expires is not { } expires || time.GetUtcNow() < expires))
            {
                return _header;
            }
            // One run of the plugin for all the requests that want a token at once (the watches start together).
            running = _running ??= FetchAsync();
        }
        return await running.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Rejected()
    {
        lock (_lock)
        {
            _header = null;
        }
    }

    private async Task<AuthenticationHeaderValue> FetchAsync()
    {
        try
        {
            var (token, expires) = await RunAsync().ConfigureAwait(false);
            var header = new AuthenticationHeaderValue("Bearer", token);
            lock (_lock)
            {
                _header = header;
                _expires = expires;
            }
            return header;
        }
        finally
        {
            lock (_lock)
            {
                _running = null;
            }
        }
    }

    private async Task<(string Token, DateTimeOffset? Expires)> RunAsync()
    {
        var info = new ProcessStartInfo(plugin.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in plugin.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in plugin.Environment)
        {
            info.Environment[name] = value;
        }
        info.Environment["KUBERNETES_EXEC_INFO"] = plugin.ExecInfo();
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new KubeConfigException($"{plugin.Field}: {plugin.Command} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KubeConfigException($"{plugin.Field}: {plugin.Command} did not start: {e.Message}", e);
        }
        using var owned = process;
        process.StandardInput.Close();
        using var bound = new CancellationTokenSource(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
        var stderr = process.StandardError.ReadToEndAsync(bound.Token);
        try
        {
            await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new KubeConfigException($"{plugin.Field}: {plugin.Command} did not finish within {Timeout.TotalSeconds:0} s");
        }
        if (process.ExitCode != 0)
        {
            throw new KubeConfigException($"{plugin.Field}: {plugin.Command} exited {process.ExitCode}: {Cut(stderr.Result)}");
        }
        return plugin.Parse(stdout.Result);
    }

    private static string Cut(string text) => (text.Length > 500 ? text[..500] : text).Trim();
}

/// <summary>The <c>exec</c> section of a kubeconfig user, with what the plugin may be told of the cluster.</summary>
/// <param name="Field">Where it was written (<c>users[NAME].user.exec</c>), for errors.</param>
/// <param name="Cluster">The cluster part of KUBERNETES_EXEC_INFO when <c>provideClusterInfo</c> is true.</param>
internal sealed record ExecPlugin(
    string Field,
    string ApiVersion,
    string Command,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    ExecClusterInfo? Cluster)
{
    /// <summary>The API versions of ExecCredential we read (v1alpha1 was removed in Kubernetes 1.24).</summary>
    public static readonly string[] Versions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

    public string ExecInfo()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("apiVersion", ApiVersion);
            json.WriteString("kind", "ExecCredential");
            json.WriteStartObject("spec");
            json.WriteBoolean("interactive", false);
            if (Cluster is { } cluster)
            {
                json.WriteStartObject("cluster");
                json.WriteString("server", cluster.Server);
                if (cluster.TlsServerName is { } name)
                {
                    json.WriteString("tls-server-name", name);
                }
                json.WriteBoolean("insecure-skip-tls-verify", cluster.SkipTlsVerify);
                if (cluster.AuthorityData is { } ca)
                {
                    json.WriteBase64String("certificate-authority-data", ca);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The token and its expiry from the plugin's ExecCredential on standard output.</summary>
    public (string Token, DateTimeOffset? Expires) Parse(string output)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(output);
        }
        catch (JsonException e)
        {
            var start = output.Trim();
            throw new KubeConfigException($"{Field}: {Command} did not print an ExecCredential (JSON) but \"{(start.Length > 100 ? start[..100] + "…" : start)}\"", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Conditions.Text(root, "kind") != "ExecCredential")
            {
                throw new KubeConfigException($"{Field}: {Command} printed JSON that is not an ExecCredential");
            }
            if (Conditions.Text(root, "apiVersion") != ApiVersion)
            {
                throw new KubeConfigException($"{Field}: {Command} answered with apiVersion {Conditions.Text(root, "apiVersion") ?? "(none)"}, not the {ApiVersion} it was asked for");
            }
            if (!root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
            {
                throw new KubeConfigException($"{Field}: {Command}'s ExecCredential has no status");
            }
            if (Conditions.Text(status, "token") is not { Length: > 0 } token)
            {
                throw new KubeConfigException(Conditions.Text(status, "clientCertificateData") is not null
                    ? $"{Field}: {Command} answered with a client certificate; bgplb takes tokens from credential plugins (give the certificate as client-certificate/client-key instead)"
                    : $"{Field}: {Command}'s ExecCredential has no status.token");
            }
            DateTimeOffset? expires = null;
            if (Conditions.Text(status, "expirationTimestamp") is { } stamp)
            {
                expires = DateTimeOffset.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                    ? at
                    : throw new KubeConfigException($"{Field}: {Command}'s status.expirationTimestamp \"{stamp}\" is not an RFC 3339 time");
            }
            return (token, expires);
        }
    }
}

/// <summary>What a credential plugin with <c>provideClusterInfo</c> is told of the cluster (the client.authentication.k8s.io Cluster type).</summary>
internal sealed record ExecClusterInfo(string Server, string? TlsServerName, bool SkipTlsVerify, byte[]? AuthorityData);
