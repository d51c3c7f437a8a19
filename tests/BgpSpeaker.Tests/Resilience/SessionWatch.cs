using System.Collections.Concurrent;
using System.Diagnostics;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// Records, as they happen, when a session entered Connect and every SessionDown with the
/// connection error at that moment: <see cref="PeerSession.LastDown"/> alone may already describe
/// a later failed retry by the time a test looks.
/// </summary>
internal sealed class SessionWatch
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<TimeSpan> _attempts = new();
    private readonly ConcurrentQueue<Down> _downs = new();
    private readonly ConcurrentDictionary<BgpState, TimeSpan> _entered = new();

    public SessionWatch(PeerSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.StateChanged += (_, t) =>
        {
            if (t.To == BgpState.Connect)
            {
                _attempts.Enqueue(_clock.Elapsed);
            }
            _entered[t.To] = _clock.Elapsed;
            foreach (var down in t.Actions.OfType<SessionDown>())
            {
                _downs.Enqueue(new Down(_clock.Elapsed, down, session.LastConnectionError));
            }
        };
    }

    /// <summary>A session-down as it happened: when, why, and the connection error then.</summary>
    public sealed record Down(TimeSpan At, SessionDown Session, string? ConnectionError);

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>
    /// When the session last entered <paramref name="state"/>. Published after the transition's
    /// actions: Established comes after the initial routes are written, OpenConfirm as our
    /// KEEPALIVE leaves, which is when the peer deems the session Established.
    /// </summary>
    public TimeSpan LastEntered(BgpState state) =>
        _entered.TryGetValue(state, out var at) ? at : throw new Xunit.Sdk.XunitException($"the session never entered {state}");

    public int DownCount => _downs.Count;

    public IReadOnlyCollection<Down> Downs => _downs.ToArray();

    /// <summary>When the session entered Connect (began a TCP attempt), after <paramref name="since"/>.</summary>
    public List<TimeSpan> AttemptsSince(TimeSpan since) => _attempts.Where(t => t > since).ToList();

    /// <summary>Waits (bounded) for the first session-down after <paramref name="downsBefore"/> were seen.</summary>
    public Down NextDown(int downsBefore, TimeSpan timeout, string what)
    {
        Assert.True(NetnsLab.WaitUntil(() => _downs.Count > downsBefore, timeout), $"{what}: the session did not go down within {timeout.TotalSeconds:0} s");
        return _downs.ElementAt(downsBefore);
    }
}
