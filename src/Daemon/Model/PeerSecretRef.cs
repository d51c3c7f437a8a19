namespace BgpLb.Daemon.Model;

/// <summary>BGPPeer <c>passwordSecret</c>: resolved against the Secrets once every file is read.</summary>
internal sealed record PeerSecretRef(string Namespace, string Name, YamlDotNet.RepresentationModel.YamlNode Node, string Path);
