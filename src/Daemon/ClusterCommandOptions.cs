using System.CommandLine;

namespace BgpLb.Daemon;

/// <summary>The options that say which cluster and which Services: the same for <c>controller</c> and <c>speaker</c>.</summary>
internal static class ClusterCommandOptions
{
    public static Option<string?> Kubeconfig() => new("--kubeconfig") { Description = "kubeconfig file (default: the Pod's in-cluster service account)" };

    public static Option<string> Namespace(string what) => new("--namespace")
    {
        Description = what + " (default: $POD_NAMESPACE, else bgplb-system)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } pod ? pod : "bgplb-system",
    };

    public static Option<string?> LoadBalancerClass() =>
        new("--load-balancer-class") { Description = "serve only Services of this spec.loadBalancerClass (default: be the cluster's default: Services without a class, and bgplb.io/bgplb)" };
}
