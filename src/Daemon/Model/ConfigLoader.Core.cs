using System.Collections.Immutable;
using System.Text;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// The core Kubernetes kinds. Unlike our own kinds, their other fields (clusterIP, sessionAffinity, status, …)
/// belong to Kubernetes and are legitimately present in a dump of a cluster, so they are not errors;
/// only the fields BgpLb reads are checked.
/// </summary>
public sealed partial class ConfigLoader
{
    private const string DefaultNamespace = "default";
    private const string LoadBalancer = "LoadBalancer";
    private const string MetalLbAnnotationPrefix = "metallb.io/";
    private const string LegacyMetalLbAnnotationPrefix = "metallb.universe.tf/";
    private const string ServiceNameLabel = "kubernetes.io/service-name";
    private const string InternalIp = "InternalIP";
    private const string NetworkUnavailableCondition = "NetworkUnavailable";
    private const string ReadyCondition = "Ready";

    // A cluster dump carries one copy of each namespace name and of each port list per Service; at
    // 100 000 Services the copies alone cost ~7 MiB of the daemon's resident set (docs/performance.md).
    private readonly Dictionary<string, string> _namespaceNames = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Port, TransportProtocol Protocol), ImmutableArray<ServicePort>> _singlePorts = [];

    private void ReadService(DocumentContext context, Fields top)
    {
        if (!ReadMetadata(context, top, "Service", namespaced: true, out var meta, out var labels))
        {
            return;
        }
        var metadata = top.Map("metadata")!;
        var annotations = metadata.StringMap("annotations");
        var spec = top.Map("spec");
        var type = spec?.String("type") ?? "ClusterIP";
        if (spec is null || type != LoadBalancer)
        {
            context.Info(top.Node, "spec.type", $"skipped: a Service of type {type}, not LoadBalancer");
            return;
        }
        var ns = _namespaceNames.TryGetValue(meta.Namespace, out var shared) ? shared : _namespaceNames[meta.Namespace] = meta.Namespace;
        foreach (var key in annotations.Keys.Order(StringComparer.Ordinal).Where(k => k.StartsWith(MetalLbAnnotationPrefix, StringComparison.Ordinal) || k.StartsWith(LegacyMetalLbAnnotationPrefix, StringComparison.Ordinal)))
        {
            context.Info(metadata.Find("annotations"), "metadata.annotations." + key, $"read as bgplb.io/{key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]}");
        }
        foreach (var (key, value) in annotations.Where(a => a.Key.EndsWith("/loadBalancerIPs", StringComparison.Ordinal)).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            foreach (var part in value.Split(','))
            {
                if (!StrictIp.TryParse(part.Trim(), out _))
                {
                    context.Error(metadata.Find("annotations"), "metadata.annotations." + key, $"\"{part.Trim()}\" is not an IP address");
                }
            }
        }
        var ports = ImmutableArray.CreateBuilder<ServicePort>();
        foreach (var (_, item) in spec.MapItems("ports"))
        {
            var port = item.Integer("port", 1, ushort.MaxValue, required: true);
            var protocolText = item.String("protocol") ?? "TCP";
            TransportProtocol? protocol = protocolText switch
            {
                "TCP" => TransportProtocol.TCP,
                "UDP" => TransportProtocol.UDP,
                "SCTP" => TransportProtocol.SCTP,
                _ => null,
            };
            if (protocol is null)
            {
                item.Error("protocol", $"\"{protocolText}\" is not a protocol (TCP, UDP, SCTP)");
            }
            if (port is not null && protocol is not null)
            {
                ports.Add(new ServicePort((int)port, protocol.Value));
            }
        }
        var families = ImmutableArray.CreateBuilder<IpFamily>();
        foreach (var (path, node, text) in spec.Strings("ipFamilies", unique: true))
        {
            switch (text)
            {
                case "IPv4":
                    families.Add(IpFamily.IPv4);
                    break;
                case "IPv6":
                    families.Add(IpFamily.IPv6);
                    break;
                default:
                    context.Error(node, path, $"\"{text}\" is not an IP family (IPv4, IPv6)");
                    break;
            }
        }
        var policyText = spec.String("ipFamilyPolicy");
        IpFamilyPolicy? policy = policyText switch
        {
            null or "SingleStack" => IpFamilyPolicy.SingleStack,
            "PreferDualStack" => IpFamilyPolicy.PreferDualStack,
            "RequireDualStack" => IpFamilyPolicy.RequireDualStack,
            _ => null,
        };
        if (policy is null)
        {
            spec.Error("ipFamilyPolicy", $"\"{policyText}\" is not an IP family policy (SingleStack, PreferDualStack, RequireDualStack)");
        }
        var etpText = spec.String("externalTrafficPolicy");
        ExternalTrafficPolicy? etp = etpText switch
        {
            // "Local"/"Cluster"; Kubernetes before 1.24 also wrote "Local"/"Cluster" only, so nothing else is accepted.
            null or "Cluster" => ExternalTrafficPolicy.Cluster,
            "Local" => ExternalTrafficPolicy.Local,
            _ => null,
        };
        if (etp is null)
        {
            spec.Error("externalTrafficPolicy", $"\"{etpText}\" is not an external traffic policy (Cluster, Local)");
        }
        var lbIp = spec.String("loadBalancerIP");
        if (lbIp is { Length: > 0 } && !StrictIp.TryParse(lbIp, out _))
        {
            spec.Error("loadBalancerIP", $"\"{lbIp}\" is not an IP address");
        }
        var service = new LoadBalancerService(new ServiceKey(ns, meta.Name))
        {
            Annotations = OursOnly(annotations),
            Labels = labels,
            LoadBalancerIP = string.IsNullOrEmpty(lbIp) ? null : lbIp,
            IpFamilies = SharedFamilies(families),
            IpFamilyPolicy = policy ?? IpFamilyPolicy.SingleStack,
            LoadBalancerClass = spec.String("loadBalancerClass"),
            Ports = ports.Count == 1 ? SinglePort(ports[0]) : ports.ToImmutable(),
            ExternalTrafficPolicy = etp ?? ExternalTrafficPolicy.Cluster,
            // The pod selector decides only the backend key of shared addresses under Local
            // (LoadBalancerService.Selector); a Cluster Service's selector is never read, so not kept.
            Selector = etp == ExternalTrafficPolicy.Local ? spec.StringMap("selector") : ImmutableDictionary<string, string>.Empty,
        };
        _services.Add(new(service, context.File, context.RootLine));
    }

    /// <summary>
    /// The annotations the allocator reads (bgplb.io/ and MetalLB's two prefixes): the rest belong to other
    /// tools, and one of them, kubectl's last-applied-configuration, holds the whole object again.
    /// </summary>
    private static ImmutableDictionary<string, string> OursOnly(ImmutableDictionary<string, string> annotations) =>
        annotations.Keys.All(Ours) ? annotations : annotations.RemoveRange(annotations.Keys.Where(k => !Ours(k)));

    private static bool Ours(string key) =>
        key.StartsWith(Annotations.Prefix, StringComparison.Ordinal)
        || key.StartsWith(MetalLbAnnotationPrefix, StringComparison.Ordinal)
        || key.StartsWith(LegacyMetalLbAnnotationPrefix, StringComparison.Ordinal);

    // The API server fills spec.ipFamilies in on every Service ([IPv4] in a single-stack cluster): one shared
    // array per list, not a 32-byte array per Service.
    private static readonly ImmutableArray<IpFamily>[] FamilyLists =
        [[IpFamily.IPv4], [IpFamily.IPv6], [IpFamily.IPv4, IpFamily.IPv6], [IpFamily.IPv6, IpFamily.IPv4]];

    private static ImmutableArray<IpFamily> SharedFamilies(ImmutableArray<IpFamily>.Builder families)
    {
        if (families.Count == 0)
        {
            return [];
        }
        foreach (var list in FamilyLists)
        {
            if (list.Length == families.Count && (list[0] == families[0]) && (list.Length == 1 || list[1] == families[1]))
            {
                return list;
            }
        }
        return families.ToImmutable();
    }

    private ImmutableArray<ServicePort> SinglePort(ServicePort port) =>
        _singlePorts.TryGetValue((port.Port, port.Protocol), out var shared) ? shared : _singlePorts[(port.Port, port.Protocol)] = [port];

    private static void ReadLabelled(DocumentContext context, Fields top, string kind, List<Placed<LabelledObject>> into)
    {
        if (ReadMetadata(context, top, kind, namespaced: false, out var meta, out var labels))
        {
            into.Add(new(new LabelledObject(meta.Name, labels), context.File, context.RootLine));
        }
    }

    /// <summary>
    /// A Node: labels, <c>status.addresses</c> of type InternalIP (the L2 heartbeat's addresses), the
    /// NetworkUnavailable condition and a Ready condition that is False. Other addresses and conditions are
    /// Kubernetes' and not judged.
    /// </summary>
    private void ReadNode(DocumentContext context, Fields top)
    {
        if (!ReadMetadata(context, top, "Node", namespaced: false, out var meta, out var labels))
        {
            return;
        }
        var status = top.Map("status");
        var addresses = ImmutableArray.CreateBuilder<IpAddress>();
        var unavailable = false;
        string? notReady = null;
        if (status is not null)
        {
            foreach (var (_, item) in status.MapItems("addresses"))
            {
                if (item.String("type") != InternalIp)
                {
                    continue;
                }
                var text = item.String("address", required: true);
                if (text is null)
                {
                    continue;
                }
                if (!StrictIp.TryParse(text, out var address))
                {
                    item.Error("address", $"\"{text}\" is not an IP address");
                    continue;
                }
                if (addresses.Contains(address))
                {
                    item.Error("address", $"InternalIP {text} is listed twice");
                    continue;
                }
                addresses.Add(address);
            }
            foreach (var (_, item) in status.MapItems("conditions"))
            {
                // Kubernetes writes condition status as "True", "False" or "Unknown"; only "True" excludes the node.
                if (item.String("type") == NetworkUnavailableCondition && item.String("status") == "True")
                {
                    unavailable = true;
                }
                // Only "False" is the kubelet's own word; "Unknown" means it stopped reporting, which says
                // more about the control plane than about the node (docs/configuration.md, the nodes).
                if (item.String("type") == ReadyCondition && item.String("status") == "False")
                {
                    var reason = item.String("reason") ?? "";
                    var message = item.String("message") ?? "";
                    notReady = reason.Length > 0 && message.Length > 0 ? reason + ": " + message
                        : reason.Length + message.Length > 0 ? reason + message : "no reason given";
                }
            }
        }
        _nodes.Add(new(new NodeConfig(meta.Name, labels) { InternalAddresses = addresses.ToImmutable(), NetworkUnavailable = unavailable, NotReady = notReady },
            context.File, context.RootLine));
    }

    private void ReadSecret(DocumentContext context, Fields top)
    {
        if (!ReadMetadata(context, top, "Secret", namespaced: true, out var meta, out _))
        {
            return;
        }
        var data = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in top.StringMap("data"))
        {
            try
            {
                data[key] = Encoding.UTF8.GetString(Convert.FromBase64String(value));
            }
            catch (FormatException)
            {
                top.Context.Error(top.Find("data"), "data." + key, "is not base64");
            }
        }
        // Kubernetes: stringData is merged into data, its entries winning.
        foreach (var (key, value) in top.StringMap("stringData"))
        {
            data[key] = value;
        }
        var type = top.String("type") ?? "Opaque";
        _secrets.Add(new(new SecretConfig(meta.Namespace, meta.Name, type, data.ToImmutable()), context.File, context.RootLine));
    }

    private void ReadEndpointSlice(DocumentContext context, Fields top)
    {
        if (!ReadMetadata(context, top, "EndpointSlice", namespaced: true, out var meta, out var labels))
        {
            return;
        }
        var ns = meta.Namespace;
        if (!labels.TryGetValue(ServiceNameLabel, out var service))
        {
            context.Error(top.Node, "metadata.labels", $"an EndpointSlice needs the label {ServiceNameLabel} naming its Service");
            return;
        }
        var nodes = ImmutableArray.CreateBuilder<string>();
        foreach (var (_, endpoint) in top.MapItems("endpoints"))
        {
            // Kubernetes: a missing ready condition means ready.
            var ready = endpoint.Map("conditions")?.Bool("ready") ?? true;
            var node = endpoint.String("nodeName");
            if (ready && node is not null && !nodes.Contains(node))
            {
                nodes.Add(node);
            }
        }
        _endpointSlices.Add(new(new EndpointSliceConfig(ns, meta.Name, new ServiceKey(ns, service), nodes.ToImmutable()), context.File, context.RootLine));
    }
}
