using System.Globalization;

namespace BgpLb.Daemon.Model;

/// <summary>The checks of L2 mode's membership (docs/l2.md): the heartbeat key's Secret and the Nodes' InternalIPs.</summary>
public sealed partial class ConfigLoader
{
    /// <summary>
    /// Errors: more than one Secret <c>memberlist</c>, or one whose <c>secretkey</c> is missing or shorter
    /// than <see cref="L2Membership.MinKeyOctets"/>. Warnings, when there are L2Advertisements: what stops
    /// every node from answering (no Node at all, several Nodes and no key) and Nodes that cannot take part
    /// (no InternalIP). Whether this node is among the Nodes is known only to <c>run</c> (--node).
    /// </summary>
    private void CheckL2Membership()
    {
        Placed<SecretConfig>? memberlist = null;
        foreach (var placed in _secrets.Where(s => s.Value.Name == L2Membership.SecretName))
        {
            var subject = $"Secret {placed.Value.Namespace}/{placed.Value.Name}";
            if (memberlist is { } first)
            {
                _diagnostics.Add(new Diagnostic(Severity.Error, placed.File, placed.Line, subject, "metadata.name",
                    $"a second Secret \"{L2Membership.SecretName}\" (the first is {first.Value.Namespace}/{first.Value.Name} at {first.File}:{first.Line}): the L2 heartbeat key must be one"));
                continue;
            }
            memberlist = placed;
            var key = L2Membership.KeyOf(placed.Value);
            if (!placed.Value.Data.ContainsKey(L2Membership.SecretKey))
            {
                _diagnostics.Add(new Diagnostic(Severity.Error, placed.File, placed.Line, subject, "data." + L2Membership.SecretKey,
                    "required: the L2 heartbeat key (e.g. the output of openssl rand -base64 32)"));
            }
            else if (key.Length < L2Membership.MinKeyOctets)
            {
                _diagnostics.Add(new Diagnostic(Severity.Error, placed.File, placed.Line, subject, "data." + L2Membership.SecretKey,
                    string.Create(CultureInfo.InvariantCulture, $"{key.Length} octets; the L2 heartbeat key needs at least {L2Membership.MinKeyOctets}")));
            }
        }
        if (_l2Advertisements.Count == 0)
        {
            return;
        }
        var advertisement = _l2Advertisements[0].Spec;
        if (_nodes.Count == 0)
        {
            advertisement.Context.Warning(advertisement.Context.Root, "",
                "no v1 Node in the config: L2 mode elects one node per VIP among the Nodes (each with a status.addresses InternalIP for the heartbeat), so no node answers ARP/NDP");
            return;
        }
        if (_nodes.Count == 1)
        {
            return;
        }
        if (memberlist is null)
        {
            advertisement.Context.Warning(advertisement.Context.Root, "",
                $"{_nodes.Count} v1 Nodes and no Secret \"{L2Membership.SecretName}\" with key \"{L2Membership.SecretKey}\": their L2 heartbeat cannot be authenticated, so no node answers ARP/NDP");
        }
        foreach (var node in _nodes.Where(n => n.Value.InternalAddresses.IsEmpty))
        {
            _diagnostics.Add(new Diagnostic(Severity.Warning, node.File, node.Line, "Node " + node.Value.Name, "status.addresses",
                "no address of type InternalIP: the L2 heartbeat cannot reach this node, so it is never elected for an L2 VIP and its daemon answers no ARP/NDP"));
        }
    }
}
