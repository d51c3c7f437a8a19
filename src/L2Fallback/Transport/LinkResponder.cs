using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using BgpLb.L2Fallback.Arp;
using BgpLb.L2Fallback.Ndp;
using Microsoft.Extensions.Logging;

namespace BgpLb.L2Fallback.Transport;

/// <summary>
/// The announcer's work on one interface: an ARP socket when it owns an IPv4 VIP there, an NDP
/// socket (joined to each owned VIP's solicited-node group) when it owns an IPv6 one, a receive loop
/// on each, and the announcement rounds of newly taken VIPs.
/// </summary>
internal sealed class LinkResponder : IAsyncDisposable
{
    private const int MaxFrame = 1514;
    private static readonly TimeSpan ReceiveRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly LinkInfo _link;
    private readonly L2AnnouncerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<IPAddress, string, DateTimeOffset> _onAnnounced;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<IPAddress, ITimer> _rounds = [];
    private readonly Dictionary<MacAddress, int> _groups = [];
    private readonly Lock _sendLock = new();
    private volatile ImmutableHashSet<IPAddress> _owned = [];
    private PacketSocket? _arp;
    private PacketSocket? _ndp;
    private Task? _arpLoop;
    private Task? _ndpLoop;

    public LinkResponder(LinkInfo link, L2AnnouncerOptions options, TimeProvider time, ILogger logger, Action<IPAddress, string, DateTimeOffset> onAnnounced, L2Counters counters)
    {
        Counters = counters;
        _link = link;
        _options = options;
        _time = time;
        _logger = logger;
        _onAnnounced = onAnnounced;
    }

    public L2Counters Counters { get; }

    public ImmutableHashSet<IPAddress> Owned => _owned;

    /// <summary>
    /// Replaces the owned set. Lost VIPs stop being answered before this returns (the receive loops
    /// read the new set); new ones are announced at once and then every
    /// <see cref="L2AnnouncerOptions.AnnouncementInterval"/>. Called under the announcer's lock.
    /// </summary>
    public void SetOwned(ImmutableHashSet<IPAddress> owned)
    {
        var previous = _owned;
        _owned = owned;
        foreach (var lost in previous.Except(owned))
        {
            if (_rounds.Remove(lost, out var timer))
            {
                timer.Dispose();
            }
            if (lost.AddressFamily == AddressFamily.InterNetworkV6)
            {
                ChangeGroup(Ipv6Multicast.EthernetAddress(Ipv6Multicast.SolicitedNode(lost)), -1);
            }
            Log.Released(_logger, lost, _link.Name);
        }
        foreach (var taken in owned.Except(previous))
        {
            EnsureSockets(taken.AddressFamily);
            if (taken.AddressFamily == AddressFamily.InterNetworkV6)
            {
                ChangeGroup(Ipv6Multicast.EthernetAddress(Ipv6Multicast.SolicitedNode(taken)), +1);
            }
            Log.Took(_logger, taken, _link.Name);
            StartRounds(taken);
        }
    }

    /// <summary>Starts the announcement rounds of every owned VIP afresh (another node may have answered for them meanwhile).</summary>
    public void Reannounce()
    {
        foreach (var vip in _owned)
        {
            if (_rounds.Remove(vip, out var timer))
            {
                timer.Dispose();
            }
            StartRounds(vip);
        }
    }

    private void EnsureSockets(AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork && _arp is null)
        {
            _arp = PacketSocket.Open(_link.Index, EtherType.Arp);
            _arpLoop = Task.Run(() => ReceiveLoop(_arp, HandleArp));
        }
        else if (family == AddressFamily.InterNetworkV6 && _ndp is null)
        {
            _ndp = PacketSocket.Open(_link.Index, EtherType.Ipv6, BpfInstruction.NeighborDiscoveryOnly);
            _ndpLoop = Task.Run(() => ReceiveLoop(_ndp, HandleNdp));
        }
    }

    /// <summary>Several VIPs can share a solicited-node group (same low 24 bits): leave it with the last one.</summary>
    private void ChangeGroup(MacAddress group, int delta)
    {
        _groups.TryGetValue(group, out var count);
        count += delta;
        try
        {
            if (count == 1 && delta > 0)
            {
                _ndp!.JoinMulticast(group);
            }
            else if (count == 0 && delta < 0)
            {
                _ndp?.LeaveMulticast(group);
            }
        }
        catch (SocketException ex)
        {
            Log.SocketFailed(_logger, delta > 0 ? "PACKET_ADD_MEMBERSHIP" : "PACKET_DROP_MEMBERSHIP", _link.Name, ex.Message);
        }
        if (count == 0)
        {
            _groups.Remove(group);
        }
        else
        {
            _groups[group] = count;
        }
    }

    private void StartRounds(IPAddress vip)
    {
        var rounds = _options.AnnouncementRepeats + 1;
        Announce(vip, 1, rounds);
        if (_options.AnnouncementRepeats <= 0)
        {
            return;
        }
        var round = 1;
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            var next = Interlocked.Increment(ref round);
            if (!_owned.Contains(vip) || next > rounds)
            {
                timer?.Dispose();
                return;
            }
            Announce(vip, next, rounds);
        }, null, _options.AnnouncementInterval, _options.AnnouncementInterval);
        _rounds[vip] = timer;
    }

    /// <summary>One round: GARP request and reply for IPv4; an unsolicited NA with Override for IPv6 (RFC 4861 §7.2.6).</summary>
    private void Announce(IPAddress vip, int round, int rounds)
    {
        Span<byte> frame = stackalloc byte[NdpCodec.FrameLengthWithLinkLayerOption];
        try
        {
            if (vip.AddressFamily == AddressFamily.InterNetwork)
            {
                foreach (var operation in (ReadOnlySpan<ArpOperation>)[ArpOperation.Request, ArpOperation.Reply])
                {
                    var length = ArpCodec.Write(ArpCodec.Gratuitous(operation, _link.Mac, vip), frame);
                    Send(_arp!, frame[..length]);
                    Counters.CountGratuitousArp();
                }
            }
            else
            {
                var length = NdpCodec.Write(NdpCodec.UnsolicitedAdvertisement(_link.Mac, vip), frame);
                Send(_ndp!, frame[..length]);
                Counters.CountUnsolicitedAdvertisement();
            }
            Log.Announced(_logger, vip, _link.Name, round, rounds);
            if (round == 1)
            {
                _onAnnounced(vip, _link.Name, _time.GetUtcNow());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Log.SocketFailed(_logger, "announce " + vip, _link.Name, ex.Message);
        }
    }

    private void Send(PacketSocket socket, ReadOnlySpan<byte> frame)
    {
        lock (_sendLock)
        {
            socket.Send(frame);
        }
    }

    private delegate void FrameHandler(PacketSocket socket, ReadOnlySpan<byte> frame, PacketType type);

    private async Task ReceiveLoop(PacketSocket socket, FrameHandler handle)
    {
        var buffer = new byte[MaxFrame];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var (length, type) = await socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                handle(socket, buffer.AsSpan(0, length), type);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is not SocketException)
            {
                // Our bug: say so loudly instead of leaving a silent, faulted task behind.
                Log.ReceiveLoopFailed(_logger, ex, socket == _arp ? "ARP" : "NDP", _link.Name);
                return;
            }
            catch (SocketException ex)
            {
                // ENETDOWN and friends while the link is down: keep the socket, try again shortly.
                Log.SocketFailed(_logger, "receive", _link.Name, ex.Message);
                try
                {
                    await Task.Delay(ReceiveRetryDelay, _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void HandleArp(PacketSocket socket, ReadOnlySpan<byte> frame, PacketType type)
    {
        if (type == PacketType.Outgoing)
        {
            Counters.CountArp(L2DropReason.Outgoing, ArpDecodeError.None);
            return;
        }
        var owned = _owned;
        var decision = ArpResponder.Decide(frame, _link.Mac, owned.Contains);
        Counters.CountArp(decision.Reason, decision.Error);
        if (decision.Reason == L2DropReason.ConflictingAnnouncement)
        {
            Log.Conflict(_logger, ArpCodec.TryDecode(frame, out var p) == ArpDecodeError.None ? p.TargetProtocol : IPAddress.None, _link.Name);
        }
        else if (decision.Reason == L2DropReason.None)
        {
            Span<byte> reply = stackalloc byte[ArpCodec.FrameLength];
            ArpCodec.Write(decision.Reply, reply);
            TrySend(socket, reply);
        }
    }

    private void HandleNdp(PacketSocket socket, ReadOnlySpan<byte> frame, PacketType type)
    {
        if (type == PacketType.Outgoing)
        {
            Counters.CountNdp(L2DropReason.Outgoing, NdpDecodeError.None);
            return;
        }
        var owned = _owned;
        var decision = NdpResponder.Decide(frame, _link.Mac, owned.Contains);
        Counters.CountNdp(decision.Reason, decision.Error);
        if (decision.Reason == L2DropReason.ConflictingAnnouncement)
        {
            Log.Conflict(_logger, NdpCodec.TryDecode(frame, out var p) == NdpDecodeError.None ? p.Target : IPAddress.IPv6None, _link.Name);
        }
        else if (decision.Reason == L2DropReason.None)
        {
            Span<byte> reply = stackalloc byte[NdpCodec.FrameLengthWithLinkLayerOption];
            var length = NdpCodec.Write(decision.Reply, reply);
            TrySend(socket, reply[..length]);
        }
    }

    private void TrySend(PacketSocket socket, ReadOnlySpan<byte> frame)
    {
        try
        {
            Send(socket, frame);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Log.SocketFailed(_logger, "reply", _link.Name, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _owned = [];
        foreach (var timer in _rounds.Values)
        {
            timer.Dispose();
        }
        _rounds.Clear();
        await _stop.CancelAsync().ConfigureAwait(false);
        _arp?.Dispose();
        _ndp?.Dispose();
        foreach (var loop in new[] { _arpLoop, _ndpLoop })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
        }
        _stop.Dispose();
    }
}
