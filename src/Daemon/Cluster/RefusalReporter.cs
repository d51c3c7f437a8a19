using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Says each finding that refuses an object once, while it lasts: one log line and one Event on the object
/// (the finding's field and message), not one per build; a finding that went away and comes back is said again.
/// Both roles use it: the speaker for its node's build, the controller for its leader's.
/// </summary>
public sealed class RefusalReporter(ILogger log)
{
    public const string ReasonInvalid = "InvalidConfiguration";

    private HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>Logs the new findings of <paramref name="built"/> and returns the Events they call for: (object, message).</summary>
    public List<(ClusterObject About, string Message)> Report(ClusterConfigResult built)
    {
        ArgumentNullException.ThrowIfNull(built);
        var events = new List<(ClusterObject, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var diagnostic in built.Diagnostics.Where(d => d.Severity == Severity.Error))
        {
            var text = ClusterConfiguration.Describe(diagnostic);
            if (!seen.Add(text) || _reported.Contains(text))
            {
                continue;
            }
            Log.ObjectRefused(log, text);
            if (built.Refused.FirstOrDefault(o => o.Subject == diagnostic.File) is { } item)
            {
                events.Add((item, (diagnostic.Path.Length > 0 ? diagnostic.Path + ": " : "") + diagnostic.Message + "; its last good version stays in force"));
            }
        }
        if (built.KeptLastGood && !_reported.SetEquals(seen))
        {
            Log.ConfigKept(log, built.Diagnostics.Count(d => d.Severity == Severity.Error));
        }
        _reported = seen;
        return events;
    }

    /// <summary>Forgets what was said: the next <see cref="Report"/> says every finding again (the controller, at each new leader term).</summary>
    public void Forget() => _reported = new HashSet<string>(StringComparer.Ordinal);
}
