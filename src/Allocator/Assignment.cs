using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>The addresses a Service holds (one, or one per family) and the pool they came from.</summary>
public readonly record struct Assignment(ServiceKey Service, string Pool, ImmutableArray<IpAddress> Addresses)
{
    public bool Equals(Assignment other) =>
        Service == other.Service && string.Equals(Pool, other.Pool, StringComparison.Ordinal)
        && Addresses.AsSpan().SequenceEqual(other.Addresses.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Service, Pool, Addresses.IsDefaultOrEmpty ? default : Addresses[0]);

    public override string ToString() => $"{Service} -> {string.Join(",", Addresses)} (pool {Pool})";
}
