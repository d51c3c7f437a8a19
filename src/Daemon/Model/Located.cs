namespace BgpLb.Daemon.Model;

/// <summary>A parsed object with the document it came from, so checks across objects can name file, object and field.</summary>
internal sealed record Located<T>(T Value, Fields Spec);
