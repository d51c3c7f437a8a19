using BgpLb.Kubernetes.Tests.Support;
using k8s;
using k8s.Models;

namespace BgpLb.Kubernetes.Tests;

[Collection(ApiServerGroup.Name)]
public sealed class ApiServerTests(ApiServer server)
{
    [Fact]
    public async Task The_test_server_serves_core_objects_round_trip()
    {
        using var client = server.AdminClient();
        var name = $"bgplbk-smoke-{Guid.NewGuid():N}"[..30];
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        var read = await client.CoreV1.ReadNamespaceAsync(name);
        Assert.Equal(name, read.Metadata.Name);
        var version = await client.Version.GetCodeAsync();
        Assert.Equal("1", version.Major);
    }
}
