namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// <c>bgplb speaker</c> as a real process in a node's network namespace (<c>ip netns exec</c> execs, so signals
/// reach the speaker itself, and <see cref="CapturedProcess.Id"/> is the speaker's), as the ServiceAccount of
/// <paramref name="kubeconfig"/>: <c>dotnet bgplb.dll</c> of the test's build, or the executable <paramref name="binary"/>.
/// </summary>
public sealed class SpeakerProcess(string netns, string node, string kubeconfig, string ns, string loadBalancerClass, string dir, string? binary = null) : CapturedProcess("ip",
[
    "netns", "exec", netns, .. binary is null ? ["dotnet", Path.Combine(AppContext.BaseDirectory, "bgplb.dll")] : new[] { binary }, "speaker",
    "--node", node, "--kubeconfig", kubeconfig, "--namespace", ns, "--load-balancer-class", loadBalancerClass,
    "--admin-socket", Path.Combine(dir, node + ".sock"), "--metrics-address", "", "--bgp-port", "0", "--drain-file", Path.Combine(dir, node + ".drain"),
])
{
    public string Node { get; } = node;
}
