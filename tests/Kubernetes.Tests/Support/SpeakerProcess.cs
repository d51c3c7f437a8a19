namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// <c>dotnet bgplb.dll speaker</c> as a real process in a node's network namespace (<c>ip netns exec</c> execs,
/// so signals reach the speaker itself), as the ServiceAccount of <paramref name="kubeconfig"/>.
/// </summary>
public sealed class SpeakerProcess(string netns, string node, string kubeconfig, string ns, string loadBalancerClass, string dir) : CapturedProcess("ip",
[
    "netns", "exec", netns, "dotnet", Path.Combine(AppContext.BaseDirectory, "bgplb.dll"), "speaker",
    "--node", node, "--kubeconfig", kubeconfig, "--namespace", ns, "--load-balancer-class", loadBalancerClass,
    "--admin-socket", Path.Combine(dir, node + ".sock"), "--metrics-address", "", "--bgp-port", "0", "--drain-file", Path.Combine(dir, node + ".drain"),
])
{
    public string Node { get; } = node;
}
