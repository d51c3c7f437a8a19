namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>Names of the test's own namespaces: the bgplbk prefix and a random tail, so tests sharing one API server never meet.</summary>
public static class Names
{
    public static string Namespace(string test) => $"bgplbk-{test}-{Guid.NewGuid():N}"[..Math.Min(50, 8 + test.Length + 12)];
}
