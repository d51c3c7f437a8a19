using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>Events of the admin API, metrics and drain: ids 5120–5149 (5100–5119 are L2's, Log.L2.cs).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5120, Level = LogLevel.Warning, Message = "drain: {Phase}: {Detail}")]
    public static partial void Drain(ILogger logger, string phase, string detail);

    [LoggerMessage(EventId = 5121, Level = LogLevel.Information, Message = "admin API listening on {Where}")]
    public static partial void AdminListening(ILogger logger, string where);

    [LoggerMessage(EventId = 5122, Level = LogLevel.Information, Message = "metrics on http://{Where}/metrics")]
    public static partial void MetricsListening(ILogger logger, string where);

    [LoggerMessage(EventId = 5123, Level = LogLevel.Warning, Message = "admin: {Action} {Subject}")]
    public static partial void AdminAction(ILogger logger, string action, string subject);
}
