using System.Globalization;
using k8s;
using k8s.Models;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// The objects of the scale tests and benches (issue 10: 10,000 Services and 100 Nodes), created through the
/// API concurrently, as a cluster would hold them: Services of type LoadBalancer of one class, Nodes with an
/// InternalIP and Ready. Reusable by any test that needs a big cluster (the speaker's memory bench too).
/// </summary>
public static class ScaleObjects
{
    /// <summary>Services of the scale test: <c>BGPLB_SCALE_SERVICES</c>, else the 1,000 the suite runs with (bench/k8s runs 10,000).</summary>
    public static int Services { get; } = FromEnvironment("BGPLB_SCALE_SERVICES", 1000);

    /// <summary>Nodes of the scale test: <c>BGPLB_SCALE_NODES</c>, else 100.</summary>
    public static int Nodes { get; } = FromEnvironment("BGPLB_SCALE_NODES", 100);

    /// <summary>A positive whole number from <paramref name="variable"/>, else <paramref name="otherwise"/>.</summary>
    public static int FromEnvironment(string variable, int otherwise)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(text))
        {
            return otherwise;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new InvalidOperationException($"{variable}=\"{text}\" is not a positive whole number");
    }

    /// <summary>Creations in flight at once: the API server takes them in parallel, and etcd batches their commits.</summary>
    public const int Parallelism = 16;

    /// <summary>
    /// A LoadBalancer Service. <c>allocateLoadBalancerNodePorts: false</c>: BGP and L2 announce the VIP itself,
    /// and 10,000 Services would not fit the 2,768 NodePorts of the default range.
    /// </summary>
    public static V1Service Service(string name, string? loadBalancerClass) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec
        {
            Type = "LoadBalancer",
            LoadBalancerClass = loadBalancerClass,
            AllocateLoadBalancerNodePorts = false,
            Ports = [new V1ServicePort { Port = 80 }],
        },
    };

    /// <summary>Creates <paramref name="names"/> in <paramref name="ns"/>, <see cref="Parallelism"/> at a time; <paramref name="created"/> is called after each.</summary>
    public static Task CreateServicesAsync(k8s.Kubernetes admin, string ns, IEnumerable<string> names, string? loadBalancerClass, Action<string>? created = null) =>
        Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (name, ct) =>
        {
            await admin.CoreV1.CreateNamespacedServiceAsync(Service(name, loadBalancerClass), ns, cancellationToken: ct);
            created?.Invoke(name);
        });

    public static Task DeleteServicesAsync(k8s.Kubernetes admin, string ns, IEnumerable<string> names) =>
        Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (name, ct) =>
            await admin.CoreV1.DeleteNamespacedServiceAsync(name, ns, cancellationToken: ct));

    /// <summary>
    /// Creates <paramref name="count"/> Nodes named <paramref name="prefix"/>-0… (Nodes are cluster-wide: the prefix
    /// keeps tests sharing a server apart), each Ready with InternalIP 203.0.113.(i+1) for the first 254, then
    /// 198.51.100.(i-253) (documentation ranges, never on a wire here: no kubelet runs).
    /// </summary>
    public static async Task<string[]> CreateNodesAsync(k8s.Kubernetes admin, string prefix, int count)
    {
        const int PerRange = 254;
        if (count > 2 * PerRange)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"at most {2 * PerRange} Nodes have an address of their own in 203.0.113.0/24 and 198.51.100.0/24");
        }
        var names = Enumerable.Range(0, count).Select(i => prefix + "-" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            var address = i < PerRange ? $"203.0.113.{i + 1}" : $"198.51.100.{i - PerRange + 1}";
            await admin.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = names[i], Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = names[i] } },
            }, cancellationToken: ct);
            // A create leaves status to the status subresource, which is what a kubelet writes.
            var status = $$$"""{"status":{"addresses":[{"type":"InternalIP","address":"{{{address}}}"}],"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","lastHeartbeatTime":null,"lastTransitionTime":null}]}}""";
            await admin.CoreV1.PatchNodeStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), names[i], cancellationToken: ct);
        });
        return names;
    }

    public static Task DeleteNodesAsync(k8s.Kubernetes admin, IEnumerable<string> names) =>
        Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (name, ct) =>
            await admin.CoreV1.DeleteNodeAsync(name, cancellationToken: ct));
}
