using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>A Secret: its type and decoded data (<c>data</c> base64-decoded, <c>stringData</c> taking precedence as in Kubernetes).</summary>
public sealed record SecretConfig(string Namespace, string Name, string Type, ImmutableDictionary<string, string> Data)
{
    public const string BasicAuth = "kubernetes.io/basic-auth";
}
