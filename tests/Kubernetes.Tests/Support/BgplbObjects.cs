using k8s;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>Creates bgplb.io/v1beta1 objects through the API server, as an operator's manifest would.</summary>
public static class BgplbObjects
{
    public const string Group = "bgplb.io";
    public const string Version = "v1beta1";

    /// <summary>Creates the object <paramref name="kind"/> <paramref name="ns"/>/<paramref name="name"/> (resource <paramref name="plural"/>) with <paramref name="spec"/>.</summary>
    public static Task<object> CreateAsync(IKubernetes client, string ns, string plural, string kind, string name, Dictionary<string, object> spec) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new Dictionary<string, object>
            {
                ["apiVersion"] = Group + "/" + Version,
                ["kind"] = kind,
                ["metadata"] = new Dictionary<string, object> { ["name"] = name },
                ["spec"] = spec,
            },
            Group, Version, ns, plural);
}
