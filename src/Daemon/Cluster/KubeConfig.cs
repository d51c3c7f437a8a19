using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Reads how to reach the API server: the current context of a kubeconfig file (clientcmd's format and
/// rules: paths relative to the file's folder, <c>*-data</c> fields in base64, a CA together with
/// insecure-skip-tls-verify refused), or the Pod's service account (client-go's <c>rest.InClusterConfig</c>).
/// Our own reader rather than KubernetesClient's: that one roots the library's source-generated model
/// serializers, 12 MB of the executable and 19 MB of every process's memory (docs/performance.md), for a
/// file of a dozen fields. Every problem is a <see cref="KubeConfigException"/> naming the field.
/// </summary>
internal static class KubeConfig
{
    /// <summary>Where the kubelet mounts the service account (Kubernetes documentation, "Accessing the API from a Pod").</summary>
    internal const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static ApiEndpoint FromFile(string path, TimeProvider time)
    {
        YamlMappingNode root;
        try
        {
            using var reader = File.OpenText(path);
            var stream = new YamlStream();
            stream.Load(reader);
            root = stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode mapping
                ? mapping
                : throw new KubeConfigException("not a kubeconfig (one YAML mapping with clusters, users and contexts)");
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"line {e.Start.Line}: {e.Message}", e);
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        var current = Text(root, "current-context", "current-context") ?? throw new KubeConfigException("current-context: not set");
        var context = Named(root, "contexts", "context", current);
        var clusterName = Text(context.Node, context.Field, "cluster") ?? throw new KubeConfigException($"{context.Field}.cluster: not set");
        var cluster = Named(root, "clusters", "cluster", clusterName);
        var userName = Text(context.Node, context.Field, "user");
        var user = userName is null ? ((YamlMappingNode Node, string Field)?)null : Named(root, "users", "user", userName);

        var serverText = Text(cluster.Node, cluster.Field, "server") ?? throw new KubeConfigException($"{cluster.Field}.server: not set");
        var server = Uri.TryCreate(serverText, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttps || parsed.Scheme == Uri.UriSchemeHttp)
            ? parsed
            : throw new KubeConfigException($"{cluster.Field}.server: \"{serverText}\" is not an https:// or http:// URL");
        var skip = Flag(cluster.Node, cluster.Field, "insecure-skip-tls-verify");
        var authorityData = Bytes(cluster.Node, cluster.Field, "certificate-authority", folder);
        if (skip && authorityData is not null)
        {
            // clientcmd's rule: trusting a CA and trusting anything at once is a mistake in the file.
            throw new KubeConfigException($"{cluster.Field}: certificate-authority and insecure-skip-tls-verify: true together (the CA would never be checked)");
        }
        var authorities = authorityData is null ? null : Certificates(authorityData, $"{cluster.Field}.certificate-authority");
        var tlsServerName = Text(cluster.Node, cluster.Field, "tls-server-name");
        Uri? proxy = null;
        if (Text(cluster.Node, cluster.Field, "proxy-url") is { } proxyText)
        {
            proxy = Uri.TryCreate(proxyText, UriKind.Absolute, out var p) && p.Scheme is "http" or "https" or "socks5"
                ? p
                : throw new KubeConfigException($"{cluster.Field}.proxy-url: \"{proxyText}\" is not an http://, https:// or socks5:// URL");
        }

        X509Certificate2? clientCertificate = null;
        ApiCredentials? credentials = null;
        if (user is { } found)
        {
            var (u, userField) = found;
            foreach (var refused in new[] { "auth-provider", "as", "as-uid", "as-groups", "as-user-extra" })
            {
                if (u.Children.ContainsKey(new YamlScalarNode(refused)))
                {
                    throw new KubeConfigException(refused == "auth-provider"
                        ? $"{userField}.auth-provider: not supported (Kubernetes removed auth providers in 1.26); use an exec credential plugin"
                        : $"{userField}.{refused}: impersonation is not supported; give the identity's own credentials");
                }
            }
            clientCertificate = ClientCertificate(u, userField, folder);
            credentials = Credentials(u, userField, folder, time,
                new ExecClusterInfo(server.OriginalString, tlsServerName, skip, authorityData));
        }
        return new ApiEndpoint(server, authorities, skip, tlsServerName, proxy, clientCertificate, credentials);
    }

    /// <summary>The Pod's own: KUBERNETES_SERVICE_HOST/PORT and the mounted token and CA.</summary>
    public static ApiEndpoint InCluster(TimeProvider time) => InCluster(
        time, Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"), Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT"), ServiceAccountDirectory);

    internal static ApiEndpoint InCluster(TimeProvider time, string? host, string? port, string directory)
    {
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubeConfigException("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
        }
        // An IPv6 service address needs brackets in a URL (client-go: net.JoinHostPort).
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        if (!Uri.TryCreate($"https://{authority}/", UriKind.Absolute, out var server))
        {
            throw new KubeConfigException($"KUBERNETES_SERVICE_HOST/PORT \"{authority}\" do not make a URL");
        }
        var ca = Path.Combine(directory, "ca.crt");
        var authorities = Certificates(File.ReadAllBytes(ca), ca);
        return new ApiEndpoint(server, authorities, false, null, null, null, new TokenFileCredentials(Path.Combine(directory, "token"), time));
    }

    private static X509Certificate2? ClientCertificate(YamlMappingNode user, string field, string folder)
    {
        var certificate = Bytes(user, field, "client-certificate", folder);
        var key = Bytes(user, field, "client-key", folder);
        if (certificate is null && key is null)
        {
            return null;
        }
        if (certificate is null || key is null)
        {
            throw new KubeConfigException($"{field}: {(certificate is null ? "client-key without client-certificate" : "client-certificate without client-key")}");
        }
        try
        {
            return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(certificate), Encoding.ASCII.GetString(key));
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{field}.client-certificate/client-key: not a PEM certificate and its private key ({e.Message})", e);
        }
    }

    private static ApiCredentials? Credentials(YamlMappingNode user, string field, string folder, TimeProvider time, ExecClusterInfo cluster)
    {
        var token = Text(user, field, "token");
        var tokenFile = Text(user, field, "tokenFile");
        var username = Text(user, field, "username");
        var password = Text(user, field, "password");
        var exec = user.Children.TryGetValue(new YamlScalarNode("exec"), out var execNode) ? execNode : null;
        var given = new[] { token ?? tokenFile, username ?? password, exec is null ? null : "exec" }.Count(g => g is not null);
        if (given > 1)
        {
            // client-go refuses a user with two ways to authenticate, rather than pick one the operator did not mean.
            throw new KubeConfigException($"{field}: more than one of token/tokenFile, username/password and exec");
        }
        if (tokenFile is not null)
        {
            // client-go: a tokenFile is read again periodically, and its last good value wins over token.
            return new TokenFileCredentials(Path.GetFullPath(Path.Combine(folder, tokenFile)), time);
        }
        if (token is not null)
        {
            return FixedCredentials.Bearer(token);
        }
        if (username is not null || password is not null)
        {
            return username is not null && password is not null
                ? FixedCredentials.Basic(username, password)
                : throw new KubeConfigException($"{field}: {(username is null ? "password without username" : "username without password")}");
        }
        return exec is null ? null : new ExecCredentials(Plugin(exec, field + ".exec", folder, cluster), time);
    }

    private static ExecPlugin Plugin(YamlNode node, string field, string folder, ExecClusterInfo cluster)
    {
        if (node is not YamlMappingNode exec)
        {
            throw new KubeConfigException($"{field}: not a mapping");
        }
        var apiVersion = Text(exec, field, "apiVersion") ?? throw new KubeConfigException($"{field}.apiVersion: not set");
        if (!ExecPlugin.Versions.Contains(apiVersion))
        {
            throw new KubeConfigException($"{field}.apiVersion: \"{apiVersion}\" is not one of {string.Join(", ", ExecPlugin.Versions)}");
        }
        var command = Text(exec, field, "command") ?? throw new KubeConfigException($"{field}.command: not set");
        // clientcmd: a relative command path with a slash is relative to the kubeconfig's folder; a bare name is looked up on PATH.
        if (command.Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(command))
        {
            command = Path.GetFullPath(Path.Combine(folder, command));
        }
        if (Text(exec, field, "interactiveMode") == "Always")
        {
            throw new KubeConfigException($"{field}.interactiveMode: Always needs a terminal, and bgplb runs without one");
        }
        var arguments = new List<string>();
        if (exec.Children.TryGetValue(new YamlScalarNode("args"), out var args))
        {
            var list = args as YamlSequenceNode ?? throw new KubeConfigException($"{field}.args: not a list");
            arguments.AddRange(list.Children.Select((a, i) => a is YamlScalarNode { Value: { } v } ? v : throw new KubeConfigException($"{field}.args[{i}]: not a string")));
        }
        var environment = new List<KeyValuePair<string, string>>();
        if (exec.Children.TryGetValue(new YamlScalarNode("env"), out var env) && env is not YamlScalarNode { Value: null or "" or "null" })
        {
            var list = env as YamlSequenceNode ?? throw new KubeConfigException($"{field}.env: not a list");
            for (var i = 0; i < list.Children.Count; i++)
            {
                var item = list.Children[i] as YamlMappingNode ?? throw new KubeConfigException($"{field}.env[{i}]: not a mapping");
                var name = Text(item, $"{field}.env[{i}]", "name") ?? throw new KubeConfigException($"{field}.env[{i}].name: not set");
                environment.Add(new(name, Text(item, $"{field}.env[{i}]", "value") ?? ""));
            }
        }
        return new ExecPlugin(field, apiVersion, command, arguments, environment, Flag(exec, field, "provideClusterInfo") ? cluster : null);
    }

    /// <summary>The entry named <paramref name="name"/> of the list <paramref name="list"/> (clusters, users, contexts) and its inner mapping.</summary>
    private static (YamlMappingNode Node, string Field) Named(YamlMappingNode root, string list, string inner, string name)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode entries)
        {
            throw new KubeConfigException($"{list}: no list of {list}, so {list}[{name}] is missing");
        }
        foreach (var entry in entries.Children.OfType<YamlMappingNode>())
        {
            if (Text(entry, list, "name") == name)
            {
                var field = $"{list}[{name}].{inner}";
                return entry.Children.TryGetValue(new YamlScalarNode(inner), out var value) switch
                {
                    true when value is YamlMappingNode mapping => (mapping, field),
                    true when value is YamlScalarNode { Value: null or "" or "null" } => (new YamlMappingNode(), field),
                    true => throw new KubeConfigException($"{field}: not a mapping"),
                    false => (new YamlMappingNode(), field),
                };
            }
        }
        throw new KubeConfigException($"{list}[{name}]: no entry of that name");
    }

    private static string? Text(YamlMappingNode map, string field, string key)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return null;
        }
        return node switch
        {
            YamlScalarNode { Value: null or "" } => null,
            YamlScalarNode { Style: not ScalarStyle.Plain } s => s.Value,
            YamlScalarNode { Value: "null" or "~" } => null,
            YamlScalarNode s => s.Value,
            _ => throw new KubeConfigException($"{(field == key ? key : field + "." + key)}: not a string"),
        };
    }

    private static bool Flag(YamlMappingNode map, string field, string key) => Text(map, field, key) switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw new KubeConfigException($"{field}.{key}: \"{other}\" is not true or false"),
    };

    /// <summary>The bytes of <c>KEY-data</c> (base64) or of the file <c>KEY</c> names (relative to the kubeconfig's folder); null when neither is given.</summary>
    private static byte[]? Bytes(YamlMappingNode map, string field, string key, string folder)
    {
        if (Text(map, field, key + "-data") is { } data)
        {
            try
            {
                // The -data field wins over the file (clientcmd).
                return Convert.FromBase64String(data);
            }
            catch (FormatException)
            {
                throw new KubeConfigException($"{field}.{key}-data: not base64");
            }
        }
        return Text(map, field, key) is { } file ? File.ReadAllBytes(Path.GetFullPath(Path.Combine(folder, file))) : null;
    }

    private static X509Certificate2Collection Certificates(byte[] pem, string field)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(Encoding.ASCII.GetString(pem));
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{field}: not PEM certificates ({e.Message})", e);
        }
        return certificates.Count > 0 ? certificates : throw new KubeConfigException($"{field}: no PEM certificate in it");
    }
}
