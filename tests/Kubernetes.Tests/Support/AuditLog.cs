using System.Text.Json;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// The API server's audit log (<c>DIR/audit.log</c>, written by <c>tests/Kubernetes.Tests/apiserver.sh</c>): one
/// JSON line per write to Services, their status, Events and the status of the bgplb.io configuration kinds. Every request counts, also one that changed
/// nothing, so it tells writes from changes (a watch sees only changes).
/// </summary>
public sealed class AuditLog(ApiServer server)
{
    /// <summary>The username a token of the controller's ServiceAccount authenticates as.</summary>
    public const string ControllerUser = "system:serviceaccount:bgplb-system:bgplb-controller";

    private string Path => System.IO.Path.Combine(server.Dir, "audit.log");

    /// <summary>Lines in the log now: a mark that <see cref="StatusWrites"/> counts from.</summary>
    public long Mark() => Lines().LongCount();

    /// <summary>
    /// Writes (patch or update) of the status of <paramref name="resource"/> objects (<c>services</c>, <c>ipaddresspools</c>, …)
    /// in <paramref name="ns"/> by <paramref name="user"/> after line <paramref name="mark"/>, per object name.
    /// </summary>
    public Dictionary<string, int> StatusWrites(string ns, string user, long mark = 0, string resource = "services")
    {
        var writes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in Lines().Skip((int)mark))
        {
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            if (root.GetProperty("verb").GetString() is not ("patch" or "update")
                || root.GetProperty("user").GetProperty("username").GetString() != user
                || !root.TryGetProperty("objectRef", out var target)
                || target.GetProperty("resource").GetString() != resource
                || !(target.TryGetProperty("subresource", out var sub) && sub.GetString() == "status")
                || !(target.TryGetProperty("namespace", out var n) && n.GetString() == ns))
            {
                continue;
            }
            var name = target.GetProperty("name").GetString() ?? "";
            writes[name] = writes.GetValueOrDefault(name) + 1;
        }
        return writes;
    }

    private IEnumerable<string> Lines()
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException(
                $"no audit log at {Path}: this test counts writes from the API server's audit log, which " +
                $"tests/Kubernetes.Tests/apiserver.sh writes; point {ApiServer.ScriptVariable} at it (or at a script that writes one there)");
        }
        // The server appends while we read: share the file, and leave out a last line not yet whole.
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith('}'))
            {
                yield return line;
            }
        }
    }
}
