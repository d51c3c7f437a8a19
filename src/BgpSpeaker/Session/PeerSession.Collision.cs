using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// Connection collisions (RFC 4271 §6.8). RFC 4271 §8 keeps "one FSM for each incoming TCP
/// connection for which the peer has not yet been identified": a connection the peer opens while
/// ours is in OpenSent or OpenConfirm gets its own FSM (<see cref="_incoming"/>), started passively,
/// which sends our OPEN and reads the peer's; so does one arriving while our connect is under way
/// (Connect). Once an OPEN arrives while the other connection is in
/// OpenConfirm, both BGP Identifiers are known and the connection initiated by the speaker with the
/// higher one survives; the other is closed with Cease / Connection Collision Resolution (RFC 4486
/// subcode 7). The session's Established connection is never given up for a new one.
/// </summary>
public sealed partial class PeerSession
{
    /// <summary>The peer's FSM: its state is the session's, it connects and restarts as configured.</summary>
    private Attempt _main;

    /// <summary>A second connection the peer opened while <see cref="_main"/> had one, until one of them loses.</summary>
    private Attempt? _incoming;

    /// <summary>One FSM and the connection it runs on (RFC 4271 §8: each FSM corresponds to exactly one TCP connection).</summary>
    private sealed class Attempt(PeerFsm fsm)
    {
        public PeerFsm Fsm { get; } = fsm;

        public Connection? Connection { get; set; }

        /// <summary>An outbound connect is under way (Connect state): a connection to be, for §6.8.</summary>
        public bool Connecting { get; set; }

        /// <summary>Identifies the current connection (or connect under way) in the events posted to the loop.</summary>
        public int ConnectionId { get; set; }

        public Dictionary<BgpTimer, (ITimer Timer, int Generation)> Timers { get; } = [];

        public void DisposeTimers()
        {
            foreach (var (timer, _) in Timers.Values)
            {
                timer.Dispose();
            }
            Timers.Clear();
        }
    }

    private Attempt[] Attempts() => _incoming is null ? [_main] : [_main, _incoming];

    private bool IsLive(Attempt attempt) => attempt == _main || attempt == _incoming;

    private Attempt? Owner(int connectionId) =>
        _main.ConnectionId == connectionId ? _main : _incoming?.ConnectionId == connectionId ? _incoming : null;

    private Attempt? Other(Attempt attempt) => attempt == _main ? _incoming : _main;

    private void AcceptInbound(Socket socket)
    {
        if (TtlError(socket, inbound: true) is { } error)
        {
            RecordConnectionError(error);
            socket.Dispose();
            return;
        }
        switch (_main.Fsm.State)
        {
            case BgpState.Connect or BgpState.Active when _main.Connection is null && !_main.Connecting:
                // Waiting for the peer: this is the connection (event 17).
                Open(_main, socket, inbound: true);
                Apply(_main, new TcpConnected(Outbound: false));
                break;
            case BgpState.Established:
                // §6.8: "a connection collision with an existing BGP connection that is in the
                // Established state causes closing of the newly created connection".
                CollisionsResolved++;
                Log.CollisionWithEstablished(_logger, _endpoint.Remote);
                _ = RefuseAsync(socket, NotificationMessage.Cease(CeaseSubcode.ConnectionCollisionResolution));
                break;
            case BgpState.Connect or BgpState.Active or BgpState.OpenSent or BgpState.OpenConfirm when _incoming is null:
                // Ours is under way (connecting, or its OPEN sent): keep both until the Identifiers decide.
                var incoming = new Attempt(new PeerFsm(_options, _random)) { ConnectionId = ++_nextConnectionId };
                _incoming = incoming;
                Open(incoming, socket, inbound: true);
                Apply(incoming, new StartRequested(Automatic: true, Passive: true));
                Apply(incoming, new TcpConnected(Outbound: false));
                break;
            default:
                // Idle refuses connections (§8.2.2), and a third connection has nothing to collide with.
                socket.Dispose();
                break;
        }
    }

    /// <summary>
    /// §6.8, on receipt of an OPEN on <paramref name="on"/>: true when that connection lost and was
    /// closed (its OPEN goes no further); false when it carries on (the other one may have lost).
    /// </summary>
    private bool ResolveCollision(Attempt on, OpenMessage open)
    {
        if (Other(on) is not { } other)
        {
            return false;
        }
        switch (other.Fsm.State)
        {
            case BgpState.Established:
                CloseLoser(on, other);
                return true;
            case BgpState.OpenConfirm:
                // Both connections now carry the peer's OPEN; an OpenSent one may still be answered
                // and is resolved when its OPEN comes (§6.8 only MAY look at OpenSent).
                var survivor = Survivor(on, other, open);
                CloseLoser(survivor == on ? other : on, survivor);
                return survivor != on;
            default:
                return false;
        }
    }

    /// <summary>
    /// §6.8 step 1: the Identifiers compared as unsigned 32-bit integers; equal ones (possible on
    /// eBGP, RFC 6286 §2.2) are decided by the larger AS number (RFC 6286 §2.3). The connection
    /// initiated by the winner survives. Two connections opened by the peer are no collision of
    /// §6.8: the peer has given up the older one, so the newer one stays.
    /// </summary>
    private Attempt Survivor(Attempt a, Attempt b, OpenMessage open)
    {
        var aInbound = a.Connection!.Inbound;
        if (aInbound == b.Connection!.Inbound)
        {
            return a.ConnectionId > b.ConnectionId ? a : b;
        }
        var weWin = _options.RouterId != open.BgpIdentifier ? _options.RouterId > open.BgpIdentifier : _options.LocalAsn > open.Asn;
        // Ours is the connection we initiated (not inbound).
        return weWin == !aInbound ? a : b;
    }

    private void CloseLoser(Attempt loser, Attempt survivor)
    {
        CollisionsResolved++;
        Log.Collision(_logger, _endpoint.Remote, loser.Connection!.Inbound ? FromPeer : Ours, loser.Fsm.State,
            survivor.Connection!.Inbound ? FromPeer : Ours, survivor.Fsm.State);
        Apply(loser, new OpenCollisionDump()); // event 23: Cease / Connection Collision Resolution, then Idle
    }

    private const string Ours = "our connection";
    private const string FromPeer = "the connection the peer opened";

    /// <summary>
    /// After a transition: an FSM whose connection is gone has nothing left to do unless it is the
    /// peer's own. If the peer's own lost its connection (collision, failure) while the other one
    /// is alive, the other one becomes the peer's.
    /// </summary>
    private void AfterTransition(Attempt attempt)
    {
        if (attempt.Connection is not null || attempt.Connecting)
        {
            return;
        }
        if (attempt == _incoming)
        {
            _incoming = null;
            attempt.DisposeTimers();
        }
        else if (attempt == _main && _incoming is { } next)
        {
            attempt.DisposeTimers(); // its restart back-off too: the peering carries on over the other connection
            _incoming = null;
            _main = next;
            _main.Fsm.Adopt(_passive);
        }
    }

    /// <summary>The Established connection is the session's: an incoming FSM that gets there becomes the peer's own.</summary>
    private void Promote(Attempt attempt)
    {
        if (attempt == _incoming)
        {
            var old = _main;
            _main = attempt;
            _main.Fsm.Adopt(_passive);
            if (old.Connection is null)
            {
                // Still connecting: no OPEN went over it, so it is simply abandoned.
                _ = DropConnection(old);
                old.DisposeTimers();
                _incoming = null;
            }
            else
            {
                _incoming = old; // in OpenSent: closed when its OPEN comes (collision with Established)
            }
        }
    }
}
