namespace BgpLb.Daemon.Runtime;

/// <summary>Where a drain stands (docs/operations.md, RFC 8326).</summary>
public enum DrainPhase
{
    /// <summary>Not drained: every planned route is announced as planned.</summary>
    Serving,

    /// <summary>Routes re-announced with GRACEFUL_SHUTDOWN (65535:0) and LOCAL_PREF 0 on iBGP, waiting for the peers to move traffic.</summary>
    GracefulShutdown,

    /// <summary>Every route withdrawn; the node stays out of service, across restarts, until undrained.</summary>
    Withdrawn,
}
