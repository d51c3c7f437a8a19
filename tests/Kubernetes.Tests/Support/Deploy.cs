namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>The repository's <c>deploy/</c> manifests, and installing them into the test's API server.</summary>
public static class Deploy
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static readonly HashSet<string> Installed = new(StringComparer.Ordinal);

    /// <summary>The repository's root (the folder of BgpLb.sln), found from the test binary's folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string Crds => Path.Combine(Root, "deploy", "crds");

    public static string Rbac => Path.Combine(Root, "deploy", "rbac");

    public static string SingleFile => Path.Combine(Root, "deploy", "bgplb.yaml");

    /// <summary>
    /// Applies <c>deploy/crds</c> (server-side, so that every class of the run may ask) and waits until every CRD
    /// is Established, once per API server.
    /// </summary>
    public static Task InstallCrdsAsync(ApiServer server) =>
        InstallOnceAsync(server, "crds", async () =>
        {
            await Kubectl.MustRunAsync(server, null, "apply", "--server-side", "--force-conflicts", "-f", Crds);
            await Kubectl.MustRunAsync(server, null, "wait", "--for", "condition=Established", "--timeout=60s", "-f", Crds);
        });

    /// <summary>Applies <c>deploy/rbac</c> (the bgplb-system namespace, ServiceAccounts, roles), once per API server.</summary>
    public static Task InstallRbacAsync(ApiServer server) =>
        InstallOnceAsync(server, "rbac", () => Kubectl.MustRunAsync(server, null, "apply", "--server-side", "--force-conflicts", "-f", Rbac));

    private static async Task InstallOnceAsync(ApiServer server, string what, Func<Task> install)
    {
        await InstallLock.WaitAsync();
        try
        {
            var key = server.KubeconfigPath + " " + what;
            if (!Installed.Contains(key))
            {
                await install();
                Installed.Add(key);
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BgpLb.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BgpLb.sln not found above " + AppContext.BaseDirectory);
    }
}
