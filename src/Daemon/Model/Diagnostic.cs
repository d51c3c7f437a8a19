using System.Globalization;

namespace BgpLb.Daemon.Model;

/// <summary>
/// One finding about a configuration: the file (and line), the document's kind/namespace/name, the field
/// path inside it (<c>spec.addresses[2]</c>) and what is wrong, so the user can go straight to it.
/// </summary>
public sealed record Diagnostic(Severity Severity, string File, int Line, string Subject, string Path, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? File + ":" + Line.ToString(CultureInfo.InvariantCulture) : File;
        var what = Subject.Length > 0 ? " " + Subject + ":" : "";
        var field = Path.Length > 0 ? " " + Path + ":" : "";
        return $"{Severity.ToString().ToLowerInvariant()}: {where}:{what}{field} {Message}";
    }
}
