namespace BgpLb.Daemon.Cluster;

/// <summary>
/// The speaker's own Pod (the DaemonSet gives its name and uid through the downward API), which the NodeState is
/// owned by: when the Pod goes (a rollout, a drained or deleted node, an uninstall), Kubernetes' garbage collector
/// deletes the NodeState with it, so no NodeState tells of sessions no speaker holds any more.
/// </summary>
public sealed record NodeStateOwner(string PodName, string PodUid);
