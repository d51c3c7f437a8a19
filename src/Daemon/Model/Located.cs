namespace BgpLb.Daemon.Model;

/// <summary>A parsed object with the document it came from, so checks across objects can name file, object and field.</summary>
internal sealed record Located<T>(T Value, Fields Spec);

/// <summary>
/// An object of a kind that comes by the thousand (Services, EndpointSlices, Nodes, Namespaces, Secrets)
/// with only where it came from (file and line; its subject follows from its kind and name): keeping its YAML (as <see cref="Located{T}"/> does) would keep every
/// node of every document until the load ends. A struct: as a class, 100,000 Services were 100,000 more objects
/// of 40 bytes each in the cache that lives between reloads.
/// </summary>
internal readonly record struct Placed<T>(T Value, string File, int Line);
