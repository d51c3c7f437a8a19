using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>The speaker's log events (bgplb speaker): ids 5200–5229.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "speaker for node {Node} starting: bgplb.io objects and Secrets in namespace {Namespace}, loadBalancerClass {Class}")]
    public static partial void SpeakerStarting(ILogger logger, string node, string @namespace, string @class);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "every watched kind is listed ({Objects} objects): applying the first configuration")]
    public static partial void SpeakerSynced(ILogger logger, int objects);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Error, Message = "the cluster's objects make no valid configuration yet ({Errors} errors): nothing is announced until a change makes one")]
    public static partial void SpeakerNoConfiguration(ILogger logger, int errors);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "speaker for node {Node} stopped")]
    public static partial void SpeakerStopped(ILogger logger, string node);
}
