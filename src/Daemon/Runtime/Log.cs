using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>The daemon's own log events: ids 5000–5099, one line each; the event name is the method name.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "bgplb starting: config {Config}, state {State}, node {Node}, {Restart}")]
    public static partial void Starting(ILogger logger, string config, string state, string node, string restart);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "config applied ({Trigger}): {Services} Services, {Vips} VIPs, {Peers} BGP peers on this node, {Routes} routes in all, {Warnings} warnings; ms: load {LoadMs:0.0}, allocate {AllocateMs:0.0}, state {StateMs:0.0}, plan {PlanMs:0.0}, peers {PeersMs:0.0}")]
    public static partial void ConfigApplied(ILogger logger, string trigger, int services, int vips, int peers, int routes, int warnings,
        double loadMs, double allocateMs, double stateMs, double planMs, double peersMs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "config rejected ({Trigger}): {Errors} error(s); the last good config keeps running, nothing was withdrawn")]
    public static partial void ConfigRejected(ILogger logger, string trigger, int errors);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "{Diagnostic}")]
    public static partial void ConfigError(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "{Diagnostic}")]
    public static partial void ConfigWarning(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Service {Service}: {Outcome}")]
    public static partial void Allocation(ILogger logger, Allocator.ServiceKey service, string outcome);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Service {Service}: {Outcome}")]
    public static partial void AllocationProblem(ILogger logger, Allocator.ServiceKey service, string outcome);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "{Count} allocation changes ({Problems} problems); each is logged at debug level")]
    public static partial void AllocationSummary(ILogger logger, int count, int problems);

    [LoggerMessage(EventId = 5077, Level = LogLevel.Debug, Message = "idle after a large plan: full collection, managed heap {Before} -> {After} MiB in {Milliseconds:0.0} ms")]
    public static partial void CompactedWhileIdle(ILogger logger, long before, long after, double milliseconds);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Service {Service} is not announced from this node: {Reason}")]
    public static partial void NotAnnounced(ILogger logger, Allocator.ServiceKey service, string reason);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "{What}")]
    public static partial void NotServed(ILogger logger, string what);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "BGP peer {Peer} {Action}")]
    public static partial void PeerConfigured(ILogger logger, string peer, string action);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "reload requested: {Reason}")]
    public static partial void ReloadRequested(ILogger logger, string reason);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "stopping: Cease / Administrative Shutdown to {Peers} peer(s)")]
    public static partial void Stopping(ILogger logger, int peers);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Critical, Message = "bgplb stopped: {Reason}")]
    public static partial void Failed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 5019, Level = LogLevel.Warning, Message = "BFD to BGP peer {Peer} went {From} -> Down ({Diagnostic}): BGP session dropped (Cease / BFD Down) and held until BFD is Up")]
    public static partial void BfdDown(ILogger logger, string peer, BgpLb.BfdSession.Wire.BfdState from, BgpLb.BfdSession.Wire.BfdDiagnostic diagnostic);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "BFD to BGP peer {Peer} is Up: BGP may connect")]
    public static partial void BfdUp(ILogger logger, string peer);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "BFD session for BGP peer {Peer}: {Session} with profile {Profile} ({State})")]
    public static partial void BfdConfigured(ILogger logger, string peer, BgpLb.BfdSession.BfdPeer session, string profile, BgpLb.BfdSession.Wire.BfdState state);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "BFD session for BGP peer {Peer}: {Session} removed")]
    public static partial void BfdRemoved(ILogger logger, string peer, BgpLb.BfdSession.BfdPeer session);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Information, Message = "BFD to BGP peer {Peer}: the peer took its session AdminDown; not a path failure (RFC 5882 4.1), the BGP session stays")]
    public static partial void BfdAdminDown(ILogger logger, string peer);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Debug, Message = "Service {Service}: {Outcome}")]
    public static partial void AllocationDetail(ILogger logger, Allocator.ServiceKey service, string outcome);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Information, Message = "state saved: {Count} assignments in {Path}")]
    public static partial void StateSaved(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 5024, Level = LogLevel.Debug, Message = "state journaled: {Set} assignments set, {Removed} removed, in {Path}.journal")]
    public static partial void StateJournaled(ILogger logger, int set, int removed, string path);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Warning, Message = "{Count} Services are not announced from this node; each is logged at debug level (first: {First})")]
    public static partial void NotAnnouncedSummary(ILogger logger, int count, string first);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Debug, Message = "Service {Service} is not announced from this node: {Reason}")]
    public static partial void NotAnnouncedDetail(ILogger logger, Allocator.ServiceKey service, string reason);

    [LoggerMessage(EventId = 5070, Level = LogLevel.Information, Message = "BFD worker started: PID {Pid} ({Command})")]
    public static partial void BfdWorkerStarted(ILogger logger, int pid, string command);

    [LoggerMessage(EventId = 5071, Level = LogLevel.Error, Message = "BFD worker PID {Pid} is gone (exit code {ExitCode}): {Why}; {Up} session(s) that were Up are lost, a new worker starts in {BackoffSeconds} s")]
    public static partial void BfdWorkerLost(ILogger logger, int pid, string exitCode, string why, int up, double backoffSeconds);

    [LoggerMessage(EventId = 5072, Level = LogLevel.Information, Message = "bfd-worker: {Line}")]
    public static partial void BfdWorkerOutput(ILogger logger, string line);

    [LoggerMessage(EventId = 5073, Level = LogLevel.Error, Message = "BFD session {Session} was refused by the restarted worker: {Reason}")]
    public static partial void BfdWorkerRefused(ILogger logger, BgpLb.BfdSession.BfdPeer session, string reason);

    [LoggerMessage(EventId = 5074, Level = LogLevel.Error, Message = "malformed request ({Error}): the daemon and this worker disagree on the protocol; exiting")]
    public static partial void WorkerBadFrame(ILogger logger, BfdWorker.WorkerFrameError error);

    [LoggerMessage(EventId = 5075, Level = LogLevel.Information, Message = "the daemon closed the request pipe: removing {Sessions} session(s) and exiting")]
    public static partial void WorkerInputClosed(ILogger logger, int sessions);

    [LoggerMessage(EventId = 5076, Level = LogLevel.Warning, Message = "BFD to BGP peer {Peer} was Up when the BFD worker died: BGP session dropped (Cease / BFD Down) and held until BFD is Up in the new worker")]
    public static partial void BfdLostWithWorker(ILogger logger, string peer);
}
