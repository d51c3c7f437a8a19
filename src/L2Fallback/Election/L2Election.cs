using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using BgpLb.Allocator;

namespace BgpLb.L2Fallback.Election;

/// <summary>
/// MetalLB-compatible layer 2 election, as its speaker's layer2 controller does it: a node is
/// eligible when an L2Advertisement selects it, it is not excluded from external load balancers,
/// its network is available, its daemon is alive and, with externalTrafficPolicy Local, it has a
/// ready endpoint (with Cluster, the Service needs a ready endpoint somewhere). Eligible nodes are
/// ordered by the bytes of sha256(nodeName + "#" + ip) and the first announces. Pure: every node
/// computes the same answer from the same inputs.
/// </summary>
public static class L2Election
{
    public static ElectionResult Elect(ElectionRequest request, IEnumerable<ElectionNode> nodes, Func<string, bool> isAlive)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(isAlive);
        var ineligible = ImmutableDictionary.CreateBuilder<string, IneligibleReason>(StringComparer.Ordinal);
        var eligible = new List<string>();
        var anyReady = !request.NodesWithReadyEndpoint.IsEmpty;
        foreach (var node in nodes)
        {
            var reason = Check(request, node, isAlive, anyReady);
            if (reason is { } r)
            {
                ineligible[node.Name] = r;
            }
            else
            {
                eligible.Add(node.Name);
            }
        }
        return new ElectionResult(Order(eligible, request.Address), ineligible.ToImmutable());
    }

    private static IneligibleReason? Check(ElectionRequest request, ElectionNode node, Func<string, bool> isAlive, bool anyReady)
    {
        if (!anyReady)
        {
            return IneligibleReason.NoReadyEndpoint;
        }
        if (!request.NodeSelectors.Any(selectors => selectors.IsDefaultOrEmpty || selectors.Any(s => s.Matches(node.Labels))))
        {
            return IneligibleReason.NotSelected;
        }
        if (node.NetworkUnavailable)
        {
            return IneligibleReason.NetworkUnavailable;
        }
        if (node.NotReady)
        {
            return IneligibleReason.NotReady;
        }
        if (node.Labels.ContainsKey(ElectionNode.ExcludeFromExternalLoadBalancers))
        {
            return IneligibleReason.ExcludedFromExternalLoadBalancers;
        }
        if (!isAlive(node.Name))
        {
            return IneligibleReason.NotAlive;
        }
        if (request.TrafficPolicy == ExternalTrafficPolicy.Local && !request.NodesWithReadyEndpoint.Contains(node.Name))
        {
            return IneligibleReason.NoReadyEndpointOnNode;
        }
        return null;
    }

    /// <summary>Orders node names by sha256(name + "#" + ip) compared as bytes; ties (equal names) keep input order.</summary>
    public static ImmutableArray<string> Order(IEnumerable<string> nodeNames, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(nodeNames);
        var ip = GoIpText.Format(address);
        return [.. nodeNames
            .Select(name => (Name: name, Hash: Hash(name, ip)))
            .OrderBy(n => n.Hash, ByteOrder.Instance)
            .Select(n => n.Name)];
    }

    /// <summary>The hash MetalLB sorts by: SHA-256 of the UTF-8 text "name#ip".</summary>
    public static byte[] Hash(string nodeName, string ipText) => SHA256.HashData(Encoding.UTF8.GetBytes(nodeName + "#" + ipText));

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
