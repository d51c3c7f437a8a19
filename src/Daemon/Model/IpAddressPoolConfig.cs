using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>An IPAddressPool: the allocator's <see cref="AddressPool"/> plus what advertisements select it by (namespace, labels).</summary>
public sealed record IpAddressPoolConfig(string Namespace, AddressPool Pool)
{
    public string Name => Pool.Name;

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;
}
