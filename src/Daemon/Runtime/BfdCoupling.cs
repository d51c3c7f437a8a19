using System.Net;
using System.Net.Sockets;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.BfdWorker;
using BgpLb.Daemon.Model;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// BFD for the BGP peers that name a bfdProfile, tied to their sessions (RFC 5882): one BFD session
/// per configured peer, living as long as the peer is configured (a BGP flap does not re-create it:
/// routers such as BIRD drop BGP when a neighbour re-keys its BFD session); a profile change is
/// applied in place with a Poll sequence. BFD Up→Down takes the BGP session down at once and holds
/// it down until BFD is Up again (§4.3), straight from the BFD event, not through the control loop,
/// which may be busy with a reload. The sessions themselves run in the BFD worker process
/// (<see cref="BfdWorkerClient"/>), out of reach of this process's garbage collections.
/// </summary>
internal sealed class BfdCoupling : IAsyncDisposable
{
    private readonly BgpSpeaker.BgpSpeaker _speaker;
    private readonly ILogger _log;
    private readonly Func<AddressFamily, Socket>? _udpSockets;
    private readonly BfdWorkerClient _worker;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (uint Id, BfdPeer Peer)> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _byId = [];
    private uint _lastId;

    /// <param name="workerCommand">The BFD worker's command line (<see cref="BfdWorkerCommand.DefaultCommandLine"/>).</param>
    /// <param name="udpSockets">Opens the probe socket that finds a session's local address; null: an ordinary socket.</param>
    public BfdCoupling(BgpSpeaker.BgpSpeaker speaker, ILogger log, IReadOnlyList<string> workerCommand, Func<AddressFamily, Socket>? udpSockets)
    {
        _speaker = speaker;
        _log = log;
        _udpSockets = udpSockets;
        _worker = new BfdWorkerClient(workerCommand, log);
        _worker.StateChanged += OnStateChanged;
        _worker.WorkerLost += OnWorkerLost;
    }

    /// <summary>The BFD worker process ended: the sessions it ran that were Up are Down (labelled so in <see cref="SessionDown"/>).</summary>
    public const string WorkerLost = "WorkerLost";

    /// <summary>
    /// Raised for every BFD session that left Up, with the BGP peer key and the local diagnostic (RFC 5880
    /// §4.1, e.g. ControlDetectionTimeExpired), or <see cref="WorkerLost"/>; on the worker's reader thread.
    /// </summary>
    public event Action<string, string>? SessionDown;

    /// <summary>The sessions wanted now, by BGP peer key; the others are removed (AdminDown first, RFC 5880 §6.8.16).</summary>
    public async Task ApplyAsync(IReadOnlyList<(string Key, BgpPeerConfig Peer, BfdProfileConfig Profile)> wanted, CancellationToken cancellationToken)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, peer, profileConfig) in wanted)
        {
            keep.Add(key);
            (uint Id, BfdPeer Peer)? found;
            lock (_lock)
            {
                found = _byKey.TryGetValue(key, out var f) ? f : null;
            }
            var current = found?.Peer;
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
            if (profile.Validate() is { Count: > 0 } errors)
            {
                throw new BfdConfigurationException(errors);
            }
            uint id;
            if (found is { } same && same.Peer == bfdPeer)
            {
                id = same.Id;
            }
            else
            {
                if (found is { } old)
                {
                    await RemoveAsync(key, old.Id, old.Peer, cancellationToken).ConfigureAwait(false);
                }
                // A new identity gets a new id: the worker keeps one session, one discriminator, per id.
                id = ++_lastId;
                lock (_lock)
                {
                    _byKey[key] = (id, bfdPeer);
                    _byId[id] = key;
                }
            }
            var state = await _worker.ConfigureAsync(id, bfdPeer, profile, cancellationToken).ConfigureAwait(false);
            Log.BfdConfigured(_log, key, bfdPeer, profileConfig.Name, state);
        }
        List<(string, uint, BfdPeer)> gone;
        lock (_lock)
        {
            gone = [.. _byKey.Where(p => !keep.Contains(p.Key)).Select(p => (p.Key, p.Value.Id, p.Value.Peer))];
        }
        foreach (var (key, id, bfdPeer) in gone)
        {
            await RemoveAsync(key, id, bfdPeer, cancellationToken).ConfigureAwait(false);
            // Without BFD the BGP session runs on its own again.
            _speaker.ReleasePeer(key);
        }
    }

    /// <summary>
    /// Every BFD session with the BGP peer it serves, as the worker reports it now (one query each);
    /// a null status when the worker cannot say (it is being replaced).
    /// </summary>
    public async Task<IReadOnlyList<BfdSessionView>> StatusAsync(CancellationToken cancellationToken)
    {
        List<(string Key, uint Id, BfdPeer Peer)> sessions;
        lock (_lock)
        {
            sessions = [.. _byKey.Select(p => (p.Key, p.Value.Id, p.Value.Peer))];
        }
        var views = new List<BfdSessionView>(sessions.Count);
        foreach (var (key, id, peer) in sessions)
        {
            WorkerSessionStatus? status;
            try
            {
                status = await _worker.QueryAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (BfdWorkerException)
            {
                status = null;
            }
            views.Add(new BfdSessionView(key, peer, status));
        }
        return views;
    }

    private async Task RemoveAsync(string key, uint id, BfdPeer bfdPeer, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _byKey.Remove(key);
            _byId.Remove(id);
        }
        await _worker.RemoveAsync(id, cancellationToken).ConfigureAwait(false);
        Log.BfdRemoved(_log, key, bfdPeer);
    }

    private void OnWorkerLost(IReadOnlyList<uint> wereUp)
    {
        foreach (var id in wereUp)
        {
            string? key;
            lock (_lock)
            {
                _byId.TryGetValue(id, out key);
            }
            if (key is not null)
            {
                // The worker's sessions stop sending: the peer declares BFD down within its detection time and drops BGP; we do at once (RFC 5882 §4.3).
                Log.BfdLostWithWorker(_log, key);
                SessionDown?.Invoke(key, WorkerLost);
                _ = _speaker.HoldPeerAsync(key, CeaseSubcode.BfdDown, CancellationToken.None);
            }
        }
    }

    private void OnStateChanged(SessionStateChanged change)
    {
        string? key;
        lock (_lock)
        {
            _byId.TryGetValue(change.Id, out key);
        }
        if (key is null)
        {
            return;
        }
        if (change.From == BfdState.Up && change.To is BfdState.Down or BfdState.AdminDown)
        {
            // Counted whatever follows for BGP: an operator reads every loss of the session, the peer's AdminDown included.
            SessionDown?.Invoke(key, change.Diagnostic.ToString());
        }
        if (change.From == BfdState.Up && change.To == BfdState.Down && change.RemoteDiagnostic == BfdDiagnostic.AdministrativelyDown)
        {
            // RFC 5882 §4.1: a peer that takes its BFD session AdminDown on purpose (deconfigured,
            // maintenance) says nothing about the path; BGP stays as it is.
            Log.BfdAdminDown(_log, key);
        }
        else if (change.From == BfdState.Up && change.To is BfdState.Down or BfdState.AdminDown)
        {
            Log.BfdDown(_log, key, change.From, change.Diagnostic);
            // Fire and forget is right here: the stop is queued to the session's own loop at once;
            // waiting for it would only hold up the worker's reader.
            _ = _speaker.HoldPeerAsync(key, CeaseSubcode.BfdDown, CancellationToken.None);
        }
        else if (change.To == BfdState.Up)
        {
            Log.BfdUp(_log, key);
            _speaker.ReleasePeer(key);
        }
    }

    /// <summary>The address the kernel would pick towards <paramref name="remote"/> (a connected UDP socket; nothing is sent), for a peer without sourceAddress.</summary>
    private IPAddress LocalAddressFor(IPAddress remote)
    {
        using var probe = _udpSockets?.Invoke(remote.AddressFamily) ?? new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(new IPEndPoint(remote, 3784));
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    public async ValueTask DisposeAsync()
    {
        _worker.StateChanged -= OnStateChanged;
        _worker.WorkerLost -= OnWorkerLost;
        await _worker.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A BFD session of the daemon: the BGP peer it serves, its addresses, and what the worker says of it (null: nothing now).</summary>
internal sealed record BfdSessionView(string Peer, BfdPeer Session, WorkerSessionStatus? Status);
