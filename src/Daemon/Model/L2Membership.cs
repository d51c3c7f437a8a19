using System.Collections.Immutable;
using System.Text;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>One daemon of the L2 heartbeat: a <c>v1 Node</c> and the InternalIP its heartbeat listens on.</summary>
public sealed record L2Member(string Name, IpAddress Address);

/// <summary>
/// Who elects the owners of L2 VIPs in standalone mode (docs/l2.md): every <c>v1 Node</c> of the config
/// that has an InternalIP of the heartbeat's family, heartbeating one another with the key of the Secret <c>memberlist</c>
/// (key <c>secretkey</c>, MetalLB's names for its memberlist key). A config that lists a single Node needs
/// no heartbeat and no key: that node is the only candidate.
/// </summary>
public sealed record L2Membership(string Self, ImmutableArray<L2Member> Members, ImmutableArray<byte> Key)
{
    /// <summary>MetalLB's Secret for its memberlist key (created by its manifests in metallb-system).</summary>
    public const string SecretName = "memberlist";

    /// <summary>The data key inside <see cref="SecretName"/> that holds the heartbeat key (MetalLB's).</summary>
    public const string SecretKey = "secretkey";

    /// <summary>An HMAC-SHA256 key shorter than this is too easy to guess (the liveness refuses it too).</summary>
    public const int MinKeyOctets = 16;

    /// <summary>True when no heartbeat runs: this node is the config's only Node (then there is no key).</summary>
    public bool Alone => Key.IsEmpty;

    /// <summary>The heartbeat key: the UTF-8 octets of the Secret's value (MetalLB's is text, e.g. from <c>openssl rand -base64 128</c>).</summary>
    public static byte[] KeyOf(SecretConfig secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return secret.Data.TryGetValue(SecretKey, out var text) ? Encoding.UTF8.GetBytes(text) : [];
    }

    /// <summary>
    /// The membership as node <paramref name="self"/> runs it, or null with <paramref name="problem"/> saying
    /// why no owner can be elected safely (then this node answers nothing: never two owners of one VIP).
    /// </summary>
    public static L2Membership? Resolve(ConfigSnapshot snapshot, string self, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(self);
        problem = null;
        if (snapshot.Nodes.IsEmpty)
        {
            problem = "L2Advertisements need the v1 Node objects of the nodes that run bgplb (each with a status.addresses entry of type InternalIP): "
                + "the config has none, so no owner can be elected and no VIP is answered by ARP/NDP";
            return null;
        }
        var me = snapshot.Nodes.FirstOrDefault(n => string.Equals(n.Name, self, StringComparison.Ordinal));
        if (me is null)
        {
            problem = $"this node ({self}, --node) is not among the config's v1 Nodes ({string.Join(", ", snapshot.Nodes.Select(n => n.Name))}): it cannot take part in L2 elections and answers no ARP/NDP";
            return null;
        }
        if (snapshot.Nodes.Length == 1)
        {
            return new L2Membership(self, [new L2Member(self, me.InternalAddresses.IsEmpty ? default : me.InternalAddresses[0])], []);
        }
        // One socket, one family, the same on every node: that of the first InternalIP of the first Node (by
        // name) that has one. A Node with no InternalIP of that family cannot be heard: it is left out (never
        // elected), and when it is this node, it answers nothing rather than believe every other node dead.
        var family = snapshot.Nodes.Where(n => !n.InternalAddresses.IsEmpty).OrderBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => (IpFamily?)n.InternalAddresses[0].Family).FirstOrDefault();
        if (family is null || !me.InternalAddresses.Any(a => a.Family == family))
        {
            problem = family is null
                ? $"Node {self} has no status.addresses entry of type InternalIP: its L2 heartbeat has nowhere to listen, so it answers no ARP/NDP"
                : $"Node {self} has no status.addresses entry of type InternalIP in {family} (the heartbeat's family, from the first Node with an InternalIP): the others cannot hear it, so it answers no ARP/NDP";
            return null;
        }
        var secrets = snapshot.Secrets.Where(s => s.Name == SecretName).ToList();
        if (secrets.Count == 0)
        {
            problem = $"{snapshot.Nodes.Length} v1 Nodes and no Secret \"{SecretName}\" with key \"{SecretKey}\": the L2 heartbeat between them cannot be authenticated, so no VIP is answered by ARP/NDP";
            return null;
        }
        // The loader refuses more than one such Secret and keys that are too short, so this one is good.
        var key = KeyOf(secrets[0]);
        var members = snapshot.Nodes
            .Where(n => n.InternalAddresses.Any(a => a.Family == family))
            .Select(n => new L2Member(n.Name, n.InternalAddresses.First(a => a.Family == family)));
        return new L2Membership(self, [.. members.OrderBy(m => m.Name, StringComparer.Ordinal)], [.. key]);
    }
}
