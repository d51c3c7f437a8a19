using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>An EndpointSlice as externalTrafficPolicy: Local needs it: the Service it belongs to and the nodes with a ready endpoint.</summary>
public sealed record EndpointSliceConfig(string Namespace, string Name, ServiceKey Service, ImmutableArray<string> ReadyNodes);
