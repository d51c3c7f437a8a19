using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>The NodeState writer's log events: ids 5230–5249.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5230, Level = LogLevel.Information, Message = "NodeState {Node} in namespace {Namespace}: written on change, at most once per {Seconds:0.###} s")]
    public static partial void NodeStateStarting(ILogger logger, string node, string @namespace, double seconds);

    [LoggerMessage(EventId = 5231, Level = LogLevel.Information, Message = "NodeState {Node} created in namespace {Namespace}")]
    public static partial void NodeStateCreated(ILogger logger, string node, string @namespace);

    [LoggerMessage(EventId = 5232, Level = LogLevel.Debug, Message = "NodeState {Node}: status written, resourceVersion {Version}")]
    public static partial void NodeStateWritten(ILogger logger, string node, string version);

    [LoggerMessage(EventId = 5233, Level = LogLevel.Warning, Message = "NodeState {Node}: {Error}; trying again in {Seconds:0.0} s with the newest state")]
    public static partial void NodeStateFailed(ILogger logger, string node, double seconds, string error);

    [LoggerMessage(EventId = 5234, Level = LogLevel.Warning, Message = "NodeState: the BFD worker did not answer within {Seconds:0} s; its last known states are written")]
    public static partial void NodeStateBfdSlow(ILogger logger, double seconds);

    [LoggerMessage(EventId = 5235, Level = LogLevel.Information, Message = "NodeState {Node}: now owned by Pod {Pod}, so it goes when the Pod does")]
    public static partial void NodeStateOwned(ILogger logger, string node, string pod);

    [LoggerMessage(EventId = 5236, Level = LogLevel.Warning, Message = "NodeState {Node}: not made the speaker Pod's ({Error}); its status is written all the same")]
    public static partial void NodeStateNotOwned(ILogger logger, string node, string error);
}
