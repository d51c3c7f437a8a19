using BgpLb.BfdSession.Wire;
using Microsoft.Extensions.Logging;

namespace BgpLb.BfdSession.Transport;

/// <summary>The BFD library's log events: ids 1100–1199, one line each, named fields.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "BFD session {Peer}: {From} -> {To} ({Diagnostic}; peer says {RemoteDiagnostic})")]
    public static partial void StateChanged(ILogger logger, BfdPeer peer, BfdState from, BfdState to, BfdDiagnostic diagnostic, BfdDiagnostic remoteDiagnostic);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "BFD session {Peer} added: discriminator {Discriminator}, source port {SourcePort}, {Profile}")]
    public static partial void SessionAdded(ILogger logger, BfdPeer peer, uint discriminator, int sourcePort, BfdProfile profile);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "BFD session {Peer} parameters changed (Poll Sequence): {Profile}")]
    public static partial void SessionUpdated(ILogger logger, BfdPeer peer, BfdProfile profile);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "BFD session {Peer} removed")]
    public static partial void SessionRemoved(ILogger logger, BfdPeer peer);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "BFD receiver ({Kind}) failed: {Error}")]
    public static partial void ReceiveFailed(ILogger logger, string kind, string error);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "BFD state-change subscriber threw: {Error}")]
    public static partial void SubscriberFailed(ILogger logger, string error);
}
