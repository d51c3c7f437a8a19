namespace BgpLb.Daemon.Cluster;

/// <summary>
/// A kubeconfig file or an in-cluster environment that does not say how to reach and authenticate to the API
/// server; the message names the file's field (<c>users[admin].user.client-key</c>) or what is missing.
/// </summary>
public sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);
