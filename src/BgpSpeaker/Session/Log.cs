using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Logging;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>The speaker's log events: ids 1000–1099, one line each, named fields.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "BGP peer {Peer}: {From} -> {To}")]
    public static partial void StateChanged(ILogger logger, IPEndPoint peer, BgpState from, BgpState to);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "BGP peer {Peer} down: {Reason}, {Direction} {Notification}, was established: {WasEstablished}")]
    public static partial void SessionDown(ILogger logger, IPEndPoint peer, DownReason reason, string direction, NotificationMessage? notification, bool wasEstablished);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "BGP peer {Peer} established: AS {PeerAsn}, hold {HoldTime}, families {Families}, 4-octet AS {FourOctetAsn}, extended messages {ExtendedMessages}")]
    public static partial void SessionUp(ILogger logger, IPEndPoint peer, uint peerAsn, TimeSpan holdTime, ValueArray<AfiSafi> families, bool fourOctetAsn, bool extendedMessages);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "BGP peer {Peer} connection failed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, IPEndPoint peer, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "BGP peer {Peer} sent a malformed UPDATE, handled by RFC 7606: {Error}")]
    public static partial void UpdateError(ILogger logger, IPEndPoint peer, BgpError error);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "BGP peer {Peer} asked for a route refresh of {Family}")]
    public static partial void RouteRefresh(ILogger logger, IPEndPoint peer, AfiSafi family);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "BGP peer {Peer} connection collision (RFC 4271 6.8): closing {Loser} ({LoserState}), keeping {Survivor} ({SurvivorState})")]
    public static partial void Collision(ILogger logger, IPEndPoint peer, string loser, BgpState loserState, string survivor, BgpState survivorState);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "BGP peer {Peer} cannot keep up: {Unsent} bytes unsent for {Timeout}; connection dropped")]
    public static partial void CannotKeepUp(ILogger logger, IPEndPoint peer, long unsent, TimeSpan timeout);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "BGP peer {Peer} connection collision (RFC 4271 6.8): the session is established, closing the new connection the peer opened")]
    public static partial void CollisionWithEstablished(ILogger logger, IPEndPoint peer);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "BGP peer {Peer}: a StateChanged subscriber failed on the transition to {To}; the session goes on")]
    public static partial void SubscriberFailed(ILogger logger, IPEndPoint peer, BgpState to, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Critical, Message = "BGP peer {Peer}: internal error in the session loop; connections closed, session restarted from Idle")]
    public static partial void LoopFailed(ILogger logger, IPEndPoint peer, Exception exception);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "BGP peer {Peer} sends faster than we process: {Queued} messages queued, reading paused")]
    public static partial void ReceivePaused(ILogger logger, IPEndPoint peer, int queued);
}
