using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Where findings about one YAML document go: it stamps each with the file and the object
/// (<c>BGPPeer metallb-system/router1</c>) so a reader never has to pass them around.
/// </summary>
internal sealed class DocumentContext(string file, List<Diagnostic> sink)
{
    public string File { get; } = file;

    /// <summary>"Kind namespace/name" (or "Kind name" for cluster-scoped objects), filled once metadata is read.</summary>
    public string Subject { get; set; } = "";

    public int ErrorCount { get; private set; }

    /// <summary>The document's root mapping, where errors about the whole object (a duplicate name) point.</summary>
    public YamlNode? Root { get; set; }

    /// <summary>The line of the document's root mapping (0 when unknown).</summary>
    public int RootLine => LineOf(Root);

    public void Error(YamlNode? at, string path, string message)
    {
        ErrorCount++;
        sink.Add(new Diagnostic(Severity.Error, File, LineOf(at), Subject, path, message));
    }

    public void Warning(YamlNode? at, string path, string message) =>
        sink.Add(new Diagnostic(Severity.Warning, File, LineOf(at), Subject, path, message));

    public void Info(YamlNode? at, string path, string message) =>
        sink.Add(new Diagnostic(Severity.Info, File, LineOf(at), Subject, path, message));

    // YamlDotNet counts lines from 1; a node built in code has line 0, which the message leaves out.
    private static int LineOf(YamlNode? node) => node is null ? 0 : (int)node.Start.Line;
}
