using BgpLb.BfdSession.Transport;
using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession;

public sealed partial class BfdSessions
{
    /// <summary>
    /// The receive path (on a receive thread): wire checks, RFC 5880 §6.3 demultiplexing, the
    /// transport's checks (RFC 5881 §4–§5, RFC 5883), then the session's FSM. Allocates nothing.
    /// </summary>
    private void Dispatch(ReadOnlySpan<byte> payload, in ReceivedDatagram datagram, bool multihop)
    {
        if (!BfdPacketReader.TryRead(payload, out var packet, out var reason))
        {
            CountUnmatched(reason);
            return;
        }
        var tables = _tables;
        Session? session;
        if (packet.YourDiscriminator != 0)
        {
            // §6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to select the
            // session ... If no session is found, the packet MUST be discarded."
            if (!tables.ByDiscriminator.TryGetValue(packet.YourDiscriminator, out session))
            {
                CountUnmatched(BfdDropReason.UnknownYourDiscriminator);
                return;
            }
        }
        else
        {
            // "If the Your Discriminator field is zero and the State field is not Down or AdminDown, the packet MUST be discarded."
            if (packet.State is not (BfdState.Down or BfdState.AdminDown))
            {
                CountUnmatched(BfdDropReason.ZeroYourDiscriminatorNotDown);
                return;
            }
            // "... the session MUST be selected based on some combination of other fields": RFC 5881 §3
            // (source and destination address, interface), RFC 5883 §3 (addresses).
            session = FindByAddresses(tables, datagram, multihop);
            if (session is null)
            {
                CountUnmatched(BfdDropReason.NoSessionForAddresses);
                return;
            }
        }
        var rejected = TransportCheck(session, datagram, multihop);
        if (rejected != BfdDropReason.None)
        {
            session.Runner.CountDrop(rejected);
            return;
        }
        session.Runner.Receive(packet, payload);
    }

    private static Session? FindByAddresses(Tables tables, in ReceivedDatagram datagram, bool multihop)
    {
        foreach (var s in tables.All)
        {
            if (s.Peer.Multihop == multihop && s.PeerAddress == datagram.Source && s.LocalAddress == datagram.Destination &&
                (s.Socket.InterfaceIndex == 0 || s.Socket.InterfaceIndex == datagram.InterfaceIndex))
            {
                return s;
            }
        }
        return null;
    }

    private static BfdDropReason TransportCheck(Session session, in ReceivedDatagram datagram, bool multihop)
    {
        if (session.Peer.Multihop != multihop)
        {
            return BfdDropReason.WrongPort;
        }
        if (datagram.Source != session.PeerAddress)
        {
            return BfdDropReason.SourceAddressMismatch;
        }
        if (!multihop)
        {
            if (session.Socket.InterfaceIndex != 0 && datagram.InterfaceIndex != session.Socket.InterfaceIndex)
            {
                return BfdDropReason.WrongInterface;
            }
            // RFC 5881 §5: "the received TTL or Hop Limit MUST be checked to be 255" (GTSM, RFC 5082).
            return datagram.Ttl == NativeUdp.MaxTtl ? BfdDropReason.None : BfdDropReason.TtlTooLow;
        }
        // RFC 5883 §5 leaves the TTL check to configuration: MetalLB's minimumTtl.
        return datagram.Ttl >= session.Profile.MinimumTtl ? BfdDropReason.None : BfdDropReason.TtlTooLow;
    }

    private void CountUnmatched(BfdDropReason reason) => Interlocked.Increment(ref _unmatched[(int)reason]);
}
