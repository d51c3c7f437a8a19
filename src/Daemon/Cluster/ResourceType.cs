namespace BgpLb.Daemon.Cluster;

/// <summary>A kind the cluster layer lists and watches, and where the API serves it for all namespaces.</summary>
/// <param name="Kind">The object's kind, as in its documents (<c>Service</c>).</param>
/// <param name="ApiVersion">group/version (<c>v1</c>, <c>bgplb.io/v1beta1</c>).</param>
/// <param name="Plural">The resource name in URLs (<c>services</c>).</param>
/// <param name="Namespaced">Whether objects live in namespaces.</param>
public sealed record ResourceType(string Kind, string ApiVersion, string Plural, bool Namespaced)
{
    public static readonly ResourceType Services = new("Service", "v1", "services", Namespaced: true);

    public static readonly ResourceType Namespaces = new("Namespace", "v1", "namespaces", Namespaced: false);

    public static readonly ResourceType IpAddressPools = new("IPAddressPool", "bgplb.io/v1beta1", "ipaddresspools", Namespaced: true);

    public static readonly ResourceType Nodes = new("Node", "v1", "nodes", Namespaced: false);

    public static readonly ResourceType EndpointSlices = new("EndpointSlice", "discovery.k8s.io/v1", "endpointslices", Namespaced: true);

    public static readonly ResourceType Secrets = new("Secret", "v1", "secrets", Namespaced: true);

    public static readonly ResourceType BgpPeers = new("BGPPeer", "bgplb.io/v1beta1", "bgppeers", Namespaced: true);

    public static readonly ResourceType BgpAdvertisements = new("BGPAdvertisement", "bgplb.io/v1beta1", "bgpadvertisements", Namespaced: true);

    public static readonly ResourceType L2Advertisements = new("L2Advertisement", "bgplb.io/v1beta1", "l2advertisements", Namespaced: true);

    public static readonly ResourceType BfdProfiles = new("BFDProfile", "bgplb.io/v1beta1", "bfdprofiles", Namespaced: true);

    public static readonly ResourceType Communities = new("Community", "bgplb.io/v1beta1", "communities", Namespaced: true);

    /// <summary>
    /// Whether the object's status is BgpLb's output (the bgplb.io kinds: conditions, pool usage), not an input:
    /// a change of the status alone does not change what the object asks for (see <see cref="ResourceStore.Upsert"/>).
    /// </summary>
    public bool StatusIsOutput => ApiVersion.StartsWith("bgplb.io/", StringComparison.Ordinal);

    private string Root => (ApiVersion.Contains('/', StringComparison.Ordinal) ? "apis/" : "api/") + ApiVersion + "/";

    /// <summary>The collection across all namespaces: core kinds under /api, the others under /apis.</summary>
    public string CollectionPath => Root + Plural;

    /// <summary>The collection of one namespace (null: all of them).</summary>
    public string CollectionPathIn(string? ns) => ns is null || !Namespaced ? CollectionPath : Root + "namespaces/" + Uri.EscapeDataString(ns) + "/" + Plural;

    /// <summary>One object's path.</summary>
    public string ObjectPath(string ns, string name) =>
        Root + (Namespaced ? "namespaces/" + Uri.EscapeDataString(ns) + "/" : "") + Plural + "/" + Uri.EscapeDataString(name);

    public override string ToString() => Kind;
}
