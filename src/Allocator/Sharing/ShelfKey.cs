using BgpLb.Allocator.Ranges;

namespace BgpLb.Allocator.Sharing;

/// <summary>
/// What every holder of a shared address has in common, so what a newcomer must match to join it: the
/// allow-shared-ip key, the namespace (null when sharing across namespaces is allowed), the backend key
/// (null: externalTrafficPolicy Cluster; else the pod selector under Local) and the range it lies in.
/// </summary>
internal readonly record struct ShelfKey(string? Namespace, string Key, string? Backend, PoolRange Range);
