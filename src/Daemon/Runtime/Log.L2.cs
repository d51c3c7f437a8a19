using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>The daemon's L2 events: ids 5100–5119.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "L2: Service {Service} ({Vips}) is answered by {Owner} (was {Previous}); this node: {Role}")]
    public static partial void L2OwnerChanged(ILogger logger, string service, string vips, string owner, string previous, string role);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "L2: {Count} Services changed owner; this node answers {Vips} VIP(s); each change is logged at debug level")]
    public static partial void L2OwnersChanged(ILogger logger, int count, int vips);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "L2: Service {Service} ({Vips}) is answered by {Owner} (was {Previous}); this node: {Role}")]
    public static partial void L2OwnerChangedDetail(ILogger logger, string service, string vips, string owner, string previous, string role);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "L2: no ARP/NDP answered: {Problem}")]
    public static partial void L2NotServed(ILogger logger, string problem);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "L2: heartbeat on UDP {Endpoint} with {Members} member(s): {Names}")]
    public static partial void L2HeartbeatStarted(ILogger logger, string endpoint, int members, string names);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Information, Message = "L2: this node is the config's only Node: no heartbeat, it is the only candidate")]
    public static partial void L2Alone(ILogger logger);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "L2: interfaces changed, announcer restarted on {Links}")]
    public static partial void L2LinksChanged(ILogger logger, string links);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Information, Message = "L2: stopped answering ARP/NDP ({Reason})")]
    public static partial void L2Stopped(ILogger logger, string reason);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Error, Message = "L2: the heartbeat cannot listen on UDP {Endpoint}: {Error}")]
    public static partial void L2HeartbeatFailed(ILogger logger, string endpoint, string error);
}
