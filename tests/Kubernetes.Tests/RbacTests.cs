using BgpLb.Kubernetes.Tests.Support;

namespace BgpLb.Kubernetes.Tests;

/// <summary>The checks of <see cref="RbacChecks"/> on <c>deploy/crds</c> and <c>deploy/rbac</c>, applied with kubectl.</summary>
[Collection(ApiServerGroup.Name)]
public sealed class RbacTests(ApiServer server) : RbacChecks(server)
{
    protected override async Task InstallAsync(ApiServer server)
    {
        await Deploy.InstallCrdsAsync(server);
        await Deploy.InstallRbacAsync(server);
    }
}
