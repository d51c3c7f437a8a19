using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Planner;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// Takes this node out of service without dropping traffic (RFC 8326): every route is first
/// re-announced with the GRACEFUL_SHUTDOWN community and LOCAL_PREF 0 (the latter reaches iBGP
/// peers only, RFC 4271 §5.1.5), so routers prefer other nodes' paths while ours still works; after
/// <see cref="Wait"/> the routes are withdrawn. Every route the speaker is given goes through
/// <see cref="Announce"/>, so a reload during a drain stays drained. The drained state is kept in a
/// file beside the state file: a node drained for maintenance must not come back into service
/// because the daemon restarted.
/// </summary>
public sealed class Drain
{
    private const string DrainedText = "drained";

    private readonly BgpSpeaker.BgpSpeaker _speaker;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private IReadOnlyList<PeerPlan> _peers = [];
    private ITimer? _withdraw;

    public Drain(BgpSpeaker.BgpSpeaker speaker, string path, TimeSpan wait, TimeProvider time, ILogger log)
    {
        _speaker = speaker;
        Path = path;
        Wait = wait;
        _time = time;
        _log = log;
        // A drain interrupted by a restart (in either phase) resumes withdrawn: the restart itself
        // dropped the sessions, so the peers have moved the traffic already.
        if (File.Exists(path))
        {
            Phase = DrainPhase.Withdrawn;
            Since = File.GetLastWriteTimeUtc(path);
        }
        else
        {
            Since = time.GetUtcNow();
        }
    }

    /// <summary>The file whose presence says "drained" (written atomically, removed on undrain).</summary>
    public string Path { get; }

    /// <summary>How long routes carry GRACEFUL_SHUTDOWN before they are withdrawn.</summary>
    public TimeSpan Wait { get; }

    public DrainPhase Phase { get; private set; }

    public DateTimeOffset Since { get; private set; }

    /// <summary>When the routes will be withdrawn (during <see cref="DrainPhase.GracefulShutdown"/>).</summary>
    public DateTimeOffset? WithdrawAt { get; private set; }

    /// <summary>Raised after every phase change.</summary>
    public event Action<DrainPhase>? Changed;

    /// <summary>The file that keeps the drained state beside <paramref name="statePath"/>.</summary>
    public static string PathBeside(string statePath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(statePath))!, System.IO.Path.GetFileNameWithoutExtension(statePath) + ".drain");

    /// <summary>Gives the speaker the routes of <paramref name="peers"/> as the drain phase wants them, and keeps them for the next phase change.</summary>
    public void Announce(IReadOnlyList<PeerPlan> peers)
    {
        lock (_lock)
        {
            _peers = peers;
            foreach (var peer in peers)
            {
                _speaker.SetRoutes(peer.Key, Shape(peer.Routes, Phase));
            }
        }
    }

    /// <summary>Starts a drain (nothing if one is under way or done). Throws IOException when the drained state cannot be saved.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (Phase != DrainPhase.Serving)
            {
                return;
            }
            Save();
            WithdrawAt = _time.GetUtcNow() + Wait;
            Enter(DrainPhase.GracefulShutdown);
            _withdraw = _time.CreateTimer(_ => Withdraw(), null, Wait, Timeout.InfiniteTimeSpan);
        }
        Log.Drain(_log, "graceful shutdown", $"routes carry 65535:0 and LOCAL_PREF 0 (iBGP); withdrawn in {Wait.TotalSeconds:0.#} s");
        Changed?.Invoke(DrainPhase.GracefulShutdown);
    }

    /// <summary>Ends a drain in any phase: every planned route is announced again, plainly.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (Phase == DrainPhase.Serving)
            {
                return;
            }
            File.Delete(Path);
            StateFile.SyncFolder(System.IO.Path.GetDirectoryName(Path)!);
            Enter(DrainPhase.Serving);
        }
        Log.Drain(_log, "undrained", "every planned route is announced again");
        Changed?.Invoke(DrainPhase.Serving);
    }

    private void Withdraw()
    {
        lock (_lock)
        {
            if (Phase != DrainPhase.GracefulShutdown)
            {
                return; // undrained meanwhile
            }
            Enter(DrainPhase.Withdrawn);
        }
        Log.Drain(_log, "withdrawn", "every route of this node is withdrawn");
        Changed?.Invoke(DrainPhase.Withdrawn);
    }

    /// <summary>Under the lock: moves to <paramref name="phase"/> and gives every peer its routes for it.</summary>
    private void Enter(DrainPhase phase)
    {
        _withdraw?.Dispose();
        _withdraw = null;
        if (phase != DrainPhase.GracefulShutdown)
        {
            WithdrawAt = null;
        }
        Phase = phase;
        Since = _time.GetUtcNow();
        foreach (var peer in _peers)
        {
            _speaker.SetRoutes(peer.Key, Shape(peer.Routes, phase));
        }
    }

    private void Save()
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(folder);
        var temporary = System.IO.Path.Combine(folder, "." + System.IO.Path.GetFileName(Path) + ".tmp");
        File.WriteAllText(temporary, DrainedText + "\n");
        File.Move(temporary, Path, overwrite: true);
        StateFile.SyncFolder(folder);
    }

    /// <summary>Serving passes the planned set itself, so a session still sends only what a reload changed (<see cref="RouteSet.With"/>).</summary>
    private static RouteSet Shape(RouteSet routes, DrainPhase phase) => phase switch
    {
        DrainPhase.Serving => routes,
        // RFC 8326 §4: the speaker that is going down attaches GRACEFUL_SHUTDOWN and, towards iBGP
        // peers, lowers LOCAL_PREF to 0 so the other paths win everywhere at once.
        DrainPhase.GracefulShutdown => RouteSet.Create(routes.Select(Marked)),
        _ => RouteSet.Empty,
    };

    private static Route Marked(Route route) => route with
    {
        LocalPref = 0,
        Communities = route.Communities.AsSpan().Contains(Community.GracefulShutdown)
            ? route.Communities
            : new ValueArray<Community>([.. route.Communities, Community.GracefulShutdown]),
    };
}
