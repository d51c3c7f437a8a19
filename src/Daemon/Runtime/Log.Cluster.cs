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
}
