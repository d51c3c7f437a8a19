using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// How a snapshot differs from <see cref="Base"/>, the previous good one of the same cache, so that a
/// reload of 100,000 Services that touched one file does the work of that file, not of the whole set.
/// Counted file by file: an unchanged file (same length and modification time) changed nothing.
/// </summary>
/// <param name="OnlyServices">Only Services changed: the pools, peers, advertisements, nodes and endpoints are those of <see cref="Base"/> (the same objects' values).</param>
/// <param name="Removed">Services of <see cref="Base"/> that are gone.</param>
/// <param name="Upserted">Services from the changed files: new, changed, or unchanged but read again. Never in <see cref="Removed"/>.</param>
public sealed record ConfigChanges(ConfigSnapshot Base, bool OnlyServices, ImmutableArray<ServiceKey> Removed, ImmutableArray<LoadBalancerService> Upserted)
{
    public bool ServicesUnchanged => Removed.IsEmpty && Upserted.IsEmpty;
}
