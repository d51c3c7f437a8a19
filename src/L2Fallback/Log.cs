using System.Net;
using Microsoft.Extensions.Logging;

namespace BgpLb.L2Fallback;

/// <summary>L2Fallback log events, ids 3000-3099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "L2: now answering for {Vip} on {Interface}")]
    public static partial void Took(ILogger logger, IPAddress vip, string @interface);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "L2: stopped answering for {Vip} on {Interface}")]
    public static partial void Released(ILogger logger, IPAddress vip, string @interface);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "L2: announced {Vip} on {Interface} ({Round} of {Rounds})")]
    public static partial void Announced(ILogger logger, IPAddress vip, string @interface, int round, int rounds);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "L2: {Operation} on {Interface} failed: {Error}")]
    public static partial void SocketFailed(ILogger logger, string operation, string @interface, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "L2: another host announced {Vip} on {Interface}")]
    public static partial void Conflict(ILogger logger, IPAddress vip, string @interface);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "L2: cannot announce {Vip} on {Interface}: no such usable Ethernet interface")]
    public static partial void NoSuchInterface(ILogger logger, IPAddress vip, string @interface);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "L2: the {Protocol} receive loop on {Interface} stopped")]
    public static partial void ReceiveLoopFailed(ILogger logger, Exception exception, string protocol, string @interface);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Liveness: {Node} is {Status} (incarnation {Incarnation})")]
    public static partial void MemberChanged(ILogger logger, string node, Liveness.MemberStatus status, ulong incarnation);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "Liveness: rejected a datagram: {Error}")]
    public static partial void DatagramRejected(ILogger logger, Liveness.LivenessDecodeError error);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Liveness: ignored a datagram from {Sender}: {Reason}")]
    public static partial void DatagramIgnored(ILogger logger, string sender, Liveness.LivenessDropReason reason);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "A liveness change subscriber failed on {Member}; the others are still told")]
    public static partial void SubscriberFailed(ILogger logger, string member, Exception exception);
}
