using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>A BGPPeer, validated: exactly one of <see cref="PeerAsn"/> and <see cref="DynamicAsn"/> is set; the password is resolved from its Secret.</summary>
public sealed record BgpPeerConfig(string Namespace, string Name)
{
    public static readonly TimeSpan DefaultHoldTime = TimeSpan.FromSeconds(90);

    public const int DefaultPort = 179;

    public uint MyAsn { get; init; }

    public uint? PeerAsn { get; init; }

    public DynamicAsn? DynamicAsn { get; init; }

    public IpAddress PeerAddress { get; init; }

    public int PeerPort { get; init; } = DefaultPort;

    public IpAddress? SourceAddress { get; init; }

    public TimeSpan HoldTime { get; init; } = DefaultHoldTime;

    /// <summary>One third of the hold time unless given (RFC 4271 §10 suggests that ratio).</summary>
    public TimeSpan KeepaliveTime { get; init; } = DefaultHoldTime / 3;

    /// <summary>null: the speaker's default ConnectRetry time.</summary>
    public TimeSpan? ConnectTime { get; init; }

    public IpAddress? RouterId { get; init; }

    /// <summary>The TCP MD5 password, from <c>password</c> or the basic-auth Secret named by <c>passwordSecret</c>.</summary>
    public string? Password { get; init; }

    public string? BfdProfile { get; init; }

    public bool EbgpMultiHop { get; init; }

    public bool EnableGracefulRestart { get; init; }

    /// <summary>Empty: every node.</summary>
    public ImmutableArray<LabelSelector> NodeSelectors { get; init; } = [];

    public bool DisableMP { get; init; }
}
