using System.Net;
using System.Net.Sockets;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Model;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// BFD for the BGP peers that name a bfdProfile, tied to their sessions (RFC 5882): one BFD session
/// per configured peer, living as long as the peer is configured (a BGP flap does not re-create it:
/// routers such as BIRD drop BGP when a neighbour re-keys its BFD session); a profile change is
/// applied in place with a Poll sequence. BFD Up→Down takes the BGP session down at once and holds
/// it down until BFD is Up again (§4.3), straight from the BFD event, not through the control loop,
/// which may be busy with a reload.
/// </summary>
internal sealed class BfdCoupling(BgpSpeaker.BgpSpeaker speaker, ILoggerFactory loggers, ILogger log, Func<AddressFamily, Socket>? udpSockets) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BfdPeer> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<BfdPeer, string> _byPeer = [];
    private BfdSessions? _sessions;

    /// <summary>The sessions wanted now, by BGP peer key; the others are removed (AdminDown first, RFC 5880 §6.8.16).</summary>
    public async Task ApplyAsync(IReadOnlyList<(string Key, BgpPeerConfig Peer, BfdProfileConfig Profile)> wanted, CancellationToken cancellationToken)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, peer, profileConfig) in wanted)
        {
            keep.Add(key);
            BfdPeer? current;
            lock (_lock)
            {
                _byKey.TryGetValue(key, out current);
            }
            // The kernel is asked for the local address once; a reload with the same peer reuses it.
            var remote = peer.PeerAddress.ToIPAddress();
            var local = peer.SourceAddress?.ToIPAddress()
                ?? (current is not null && current.Address.Equals(remote) ? current.LocalAddress : LocalAddressFor(remote));
            var bfdPeer = new BfdPeer(remote, local) { Multihop = peer.EbgpMultiHop };
            var profile = new BfdProfile
            {
                ReceiveInterval = TimeSpan.FromMilliseconds(profileConfig.ReceiveInterval),
                TransmitInterval = TimeSpan.FromMilliseconds(profileConfig.TransmitInterval),
                DetectMultiplier = (int)profileConfig.DetectMultiplier,
                EchoInterval = TimeSpan.FromMilliseconds(profileConfig.EchoInterval),
                EchoMode = profileConfig.EchoMode,
                PassiveMode = profileConfig.PassiveMode,
                MinimumTtl = (int)profileConfig.MinimumTtl,
            };
            if (current is not null && current != bfdPeer)
            {
                await RemoveAsync(key, current, cancellationToken).ConfigureAwait(false);
            }
            var sessions = Sessions();
            var status = sessions.AddOrUpdate(bfdPeer, profile);
            lock (_lock)
            {
                _byKey[key] = bfdPeer;
                _byPeer[bfdPeer] = key;
            }
            Log.BfdConfigured(log, key, bfdPeer, profileConfig.Name, status.State);
        }
        List<(string, BfdPeer)> gone;
        lock (_lock)
        {
            gone = [.. _byKey.Where(p => !keep.Contains(p.Key)).Select(p => (p.Key, p.Value))];
        }
        foreach (var (key, bfdPeer) in gone)
        {
            await RemoveAsync(key, bfdPeer, cancellationToken).ConfigureAwait(false);
            // Without BFD the BGP session runs on its own again.
            speaker.ReleasePeer(key);
        }
    }

    /// <summary>Every BFD session with the BGP peer it serves.</summary>
    public IReadOnlyList<(string Peer, BfdSessionStatus Status)> Status()
    {
        List<(string Key, BfdPeer Peer)> peers;
        lock (_lock)
        {
            peers = [.. _byKey.Select(p => (p.Key, p.Value))];
        }
        return [.. peers.Select(p => (p.Key, _sessions?.Get(p.Peer))).Where(p => p.Item2 is not null).Select(p => (p.Key, p.Item2!))];
    }

    private async Task RemoveAsync(string key, BfdPeer bfdPeer, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _byKey.Remove(key);
            _byPeer.Remove(bfdPeer);
        }
        if (_sessions is { } sessions)
        {
            await sessions.RemoveAsync(bfdPeer, cancellationToken).ConfigureAwait(false);
        }
        Log.BfdRemoved(log, key, bfdPeer);
    }

    private BfdSessions Sessions()
    {
        if (_sessions is null)
        {
            _sessions = new BfdSessions(new BfdSessionsOptions { Loggers = loggers, SocketFactory = udpSockets });
            _sessions.StateChanged += OnStateChanged;
        }
        return _sessions;
    }

    private void OnStateChanged(object? sender, BfdStateChange change)
    {
        string? key;
        lock (_lock)
        {
            _byPeer.TryGetValue(change.Peer, out key);
        }
        if (key is null)
        {
            return;
        }
        if (change.From == BfdState.Up && change.To == BfdState.Down && change.RemoteDiagnostic == BfdDiagnostic.AdministrativelyDown)
        {
            // RFC 5882 §4.1: a peer that takes its BFD session AdminDown on purpose (deconfigured,
            // maintenance) says nothing about the path; BGP stays as it is.
            Log.BfdAdminDown(log, key);
        }
        else if (change.From == BfdState.Up && change.To is BfdState.Down or BfdState.AdminDown)
        {
            Log.BfdDown(log, key, change.From, change.Diagnostic);
            // Fire and forget is right here: the stop is queued to the session's own loop at once;
            // waiting for it would only hold up the BFD event thread.
            _ = speaker.HoldPeerAsync(key, CeaseSubcode.BfdDown, CancellationToken.None);
        }
        else if (change.To == BfdState.Up)
        {
            Log.BfdUp(log, key);
            speaker.ReleasePeer(key);
        }
    }

    /// <summary>The address the kernel would pick towards <paramref name="remote"/> (a connected UDP socket; nothing is sent), for a peer without sourceAddress.</summary>
    private IPAddress LocalAddressFor(IPAddress remote)
    {
        using var probe = udpSockets?.Invoke(remote.AddressFamily) ?? new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(new IPEndPoint(remote, 3784));
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    public async ValueTask DisposeAsync()
    {
        if (_sessions is { } sessions)
        {
            sessions.StateChanged -= OnStateChanged;
            await sessions.DisposeAsync().ConfigureAwait(false);
        }
    }
}
