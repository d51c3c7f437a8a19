using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>Events of the admin API, metrics and drain: ids 5100–5149.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "drain: {Phase}: {Detail}")]
    public static partial void Drain(ILogger logger, string phase, string detail);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "admin API listening on {Where}")]
    public static partial void AdminListening(ILogger logger, string where);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "metrics on http://{Where}/metrics")]
    public static partial void MetricsListening(ILogger logger, string where);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "admin: {Action} {Subject}")]
    public static partial void AdminAction(ILogger logger, string action, string subject);
}
