using System.Collections.Immutable;

namespace BgpLb.Daemon.Model;

/// <summary>A Node (or a Namespace): its name and labels, which node and namespace selectors match.</summary>
public sealed record LabelledObject(string Name, ImmutableDictionary<string, string> Labels);
