namespace BgpLb.Daemon.Model;

/// <summary>One object's text and what names it in diagnostics (for API objects, "Kind namespace/name").</summary>
public readonly record struct SourcedDocument(string Source, string Text);
