using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>The cluster layer's log events (watches, controller): ids 5150–5199.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5150, Level = LogLevel.Information, Message = "watch {Kind}: listed {Count} objects at resourceVersion {Version}")]
    public static partial void Listed(ILogger logger, string kind, int count, string version);

    [LoggerMessage(EventId = 5151, Level = LogLevel.Information, Message = "watch {Kind}: 410 Gone ({Reason}); listing again")]
    public static partial void WatchGone(ILogger logger, string kind, string reason);

    [LoggerMessage(EventId = 5152, Level = LogLevel.Warning, Message = "watch {Kind}: {Error}; trying again in {Seconds:0.0} s, the last known objects stay in force")]
    public static partial void WatchFailed(ILogger logger, string kind, double seconds, string error);

    [LoggerMessage(EventId = 5153, Level = LogLevel.Information, Message = "controller {Identity} starting: Lease and configuration objects in namespace {Namespace}, loadBalancerClass {Class}, ipMode written: {IpMode}")]
    public static partial void ControllerStarting(ILogger logger, string identity, string @namespace, string @class, bool ipMode);

    [LoggerMessage(EventId = 5154, Level = LogLevel.Information, Message = "controller {Identity} is the leader: restoring every Service's addresses from its status before allocating")]
    public static partial void Leading(ILogger logger, string identity);

    [LoggerMessage(EventId = 5155, Level = LogLevel.Warning, Message = "controller {Identity} is no longer the leader: it writes nothing until it leads again")]
    public static partial void StoppedLeading(ILogger logger, string identity);

    [LoggerMessage(EventId = 5156, Level = LogLevel.Information, Message = "the controller leader is {Leader}")]
    public static partial void NewLeader(ILogger logger, string leader);

    [LoggerMessage(EventId = 5157, Level = LogLevel.Warning, Message = "leader election: {Error}")]
    public static partial void LeaseError(ILogger logger, string error);

    [LoggerMessage(EventId = 5158, Level = LogLevel.Information, Message = "restored {Restored} Services' addresses from their status ({Lost} addresses could not come back)")]
    public static partial void Restored(ILogger logger, int restored, int lost);

    [LoggerMessage(EventId = 5159, Level = LogLevel.Warning, Message = "Service {Service}: its status address is not restored: {Reason}")]
    public static partial void NotRestored(ILogger logger, Allocator.ServiceKey service, string reason);

    [LoggerMessage(EventId = 5160, Level = LogLevel.Error, Message = "pools refused by the allocator, the previous ones stay: {Error}")]
    public static partial void PoolsRefused(ILogger logger, string error);

    [LoggerMessage(EventId = 5161, Level = LogLevel.Information, Message = "pass: {Services} Services, {Holding} holding addresses, {Changed} allocation changes, {Writes} status writes; {ReadMs:0} ms reading the objects ({Reused} of {Objects} taken over unchanged), {PassMs:0} ms in all")]
    public static partial void Reconciled(ILogger logger, int services, int holding, int changed, int writes, double readMs, int reused, int objects, double passMs);

    [LoggerMessage(EventId = 5162, Level = LogLevel.Debug, Message = "{Service}: status.loadBalancer.ingress set to {Addresses}")]
    public static partial void StatusWritten(ILogger logger, string service, string addresses);

    [LoggerMessage(EventId = 5163, Level = LogLevel.Warning, Message = "{Service}: status not written ({Error}); trying again")]
    public static partial void StatusWriteFailed(ILogger logger, string service, string error);

    [LoggerMessage(EventId = 5164, Level = LogLevel.Warning, Message = "{Subject}: Event {Reason} not written: {Error}")]
    public static partial void EventFailed(ILogger logger, string subject, string reason, string error);

    [LoggerMessage(EventId = 5165, Level = LogLevel.Information, Message = "{Result}")]
    public static partial void Allocated(ILogger logger, Allocator.AllocationResult result);

    [LoggerMessage(EventId = 5166, Level = LogLevel.Warning, Message = "Service {Service}: allocation failed: {Reason}")]
    public static partial void AllocationFailed(ILogger logger, Allocator.ServiceKey service, string reason);

    [LoggerMessage(EventId = 5167, Level = LogLevel.Error, Message = "{Diagnostic}; its last good version stays in force")]
    public static partial void ObjectRefused(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 5168, Level = LogLevel.Error, Message = "the objects are refused together ({Errors} errors, a check across objects): the last good configuration stays in force")]
    public static partial void ConfigKept(ILogger logger, int errors);

    [LoggerMessage(EventId = 5169, Level = LogLevel.Information, Message = "controller {Identity} released the Lease on stopping")]
    public static partial void LeaseReleased(ILogger logger, string identity);

    [LoggerMessage(EventId = 5170, Level = LogLevel.Debug, Message = "{Subject}: status written: Valid {Status} ({Reason}), usage {Usage}")]
    public static partial void ObjectStatusWritten(ILogger logger, string subject, string status, string reason, string usage);

    [LoggerMessage(EventId = 5171, Level = LogLevel.Warning, Message = "{Subject}: status not written ({Error}); trying again")]
    public static partial void ObjectStatusFailed(ILogger logger, string subject, string error);
}
