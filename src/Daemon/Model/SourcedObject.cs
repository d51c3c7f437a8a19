using System.Text.Json;

namespace BgpLb.Daemon.Model;

/// <summary>
/// One API object as the server sent it, for <see cref="ConfigLoader.LoadObjects"/>: what names it in diagnostics
/// ("Kind namespace/name"), its resourceVersion (a new one is a change), its apiVersion and kind (the items of a
/// list carry neither), and its JSON.
/// </summary>
public readonly record struct SourcedObject(string Source, string ResourceVersion, string ApiVersion, string Kind, JsonElement Json);
