using BgpLb.Daemon.Cluster;
using BgpLb.Daemon.Model;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace BgpLb.Kubernetes.Tests.Cluster;

[Collection(ApiServerGroup.Name)]
public sealed class ResourceWatchTests(ApiServer server)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sees_creation_update_and_deletion()
    {
        using var admin = server.AdminClient();
        var ns = await NewNamespace(admin, "watch");
        await using var running = Start(ResourceType.Services, new WatchOptions());
        await Eventually.True(() => running.Store.Synced, Bound, "the first list");

        await admin.CoreV1.CreateNamespacedServiceAsync(Service("one"), ns);
        await Eventually.True(() => running.Store.Get(ns, "one") is not null, Bound, "Service one added");
        var before = running.Store.Get(ns, "one")!.ResourceVersion;

        await admin.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"metadata":{"labels":{"changed":"yes"}}}""", V1Patch.PatchType.MergePatch), "one", ns);
        await Eventually.True(() => running.Store.Get(ns, "one")?.ResourceVersion != before, Bound, "Service one modified");
        Assert.Equal("yes", running.Store.Get(ns, "one")!.Json.GetProperty("metadata").GetProperty("labels").GetProperty("changed").GetString());

        await admin.CoreV1.DeleteNamespacedServiceAsync("one", ns);
        await Eventually.True(() => running.Store.Get(ns, "one") is null, Bound, "Service one deleted");
        Assert.Equal(1, running.Watch.Lists);
    }

    [Fact]
    public async Task Resumes_from_its_resource_version_when_the_server_ends_the_watch()
    {
        using var admin = server.AdminClient();
        var ns = await NewNamespace(admin, "resume");
        // timeoutSeconds 1 to 2: the server ends the watch several times while the Services come.
        await using var running = Start(ResourceType.Services, new WatchOptions { WatchTimeout = TimeSpan.FromSeconds(1) });
        await Eventually.True(() => running.Store.Synced, Bound, "the first list");
        for (var i = 0; i < 6; i++)
        {
            await admin.CoreV1.CreateNamespacedServiceAsync(Service($"s{i}"), ns);
            await Task.Delay(700);
        }
        await Eventually.True(() => Enumerable.Range(0, 6).All(i => running.Store.Get(ns, $"s{i}") is not null), Bound, "all six Services");
        for (var i = 0; i < 6; i++)
        {
            await admin.CoreV1.DeleteNamespacedServiceAsync($"s{i}", ns); // ClusterIPs are few in the test server (a /24)
        }
        Assert.True(running.Watch.Watches >= 3, $"the watch was resumed {running.Watch.Watches - 1} times in 4 s with timeoutSeconds ≤ 2");
        Assert.Equal(1, running.Watch.Lists);
        Assert.Equal(0, running.Watch.Gone);
    }

    [Fact]
    public async Task Lists_again_after_410_Gone()
    {
        using var admin = server.AdminClient();
        var ns = await NewNamespace(admin, "gone");
        // A kind of the test's own: the server's watch cache of a CRD starts at the revision the CRD was
        // established, so version 1 is older than anything it keeps and it must answer 410 Gone (the
        // watch cache of a core kind started with the server and would still replay from 1).
        var widgets = new ResourceType("Widget", "bgplbk.example/v1", "widgets", Namespaced: true);
        using var api = Api();
        await EnsureWidgetCrd(admin, api, widgets);
        (await api.PostAsync($"apis/bgplbk.example/v1/namespaces/{ns}/widgets", """{"apiVersion":"bgplbk.example/v1","kind":"Widget","metadata":{"name":"there"}}""", CancellationToken.None)).Dispose();
        var store = new ResourceStore(widgets);
        var watch = new ResourceWatch(api, store, new WatchOptions(), NullLogger.Instance, TimeProvider.System);
        watch.ResumeFrom("1");
        await using var running = new Running(store, watch);
        await Eventually.True(() => store.Get(ns, "there") is not null, Bound, "the Widget, after a list");
        Assert.Equal(1, watch.Gone);
        Assert.Equal(1, watch.Lists);
    }

    private static async Task EnsureWidgetCrd(k8s.Kubernetes admin, ApiConnection api, ResourceType widgets)
    {
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "widgets.bgplbk.example" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "bgplbk.example",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Singular = "widget", Kind = "Widget" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1", Served = true, Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true } },
                    },
                ],
            },
        };
        try
        {
            await admin.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // another test of this run made it
        }
        await Eventually.True(async () =>
        {
            try
            {
                (await api.GetAsync(widgets.CollectionPath, CancellationToken.None)).Dispose();
                return true;
            }
            catch (ApiException)
            {
                return false;
            }
        }, Bound, "the Widget CRD served");
    }

    [Fact]
    public async Task An_object_refused_by_the_loader_keeps_its_last_good_version_and_gets_the_files_error_text()
    {
        using var admin = server.AdminClient();
        var ns = await NewNamespace(admin, "refuse");
        await using var running = Start(ResourceType.Services, new WatchOptions());
        await Eventually.True(() => running.Store.Synced, Bound, "the first list");
        var service = Service("ann");
        service.Metadata.Annotations = new Dictionary<string, string> { ["bgplb.io/loadBalancerIPs"] = "198.18.0.10" };
        await admin.CoreV1.CreateNamespacedServiceAsync(service, ns);
        await Eventually.True(() => running.Store.Get(ns, "ann") is not null, Bound, "Service ann");
        var configuration = new ClusterConfiguration();
        var good = configuration.Build([running.Store]);
        Assert.Contains(good.Snapshot!.Services, s => s.Key.Namespace == ns && s.Annotations["bgplb.io/loadBalancerIPs"] == "198.18.0.10");

        await admin.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"metadata":{"annotations":{"bgplb.io/loadBalancerIPs":"198.18.0.x"}}}""", V1Patch.PatchType.MergePatch), "ann", ns);
        await Eventually.True(() => running.Store.Get(ns, "ann")!.Json.GetProperty("metadata").GetProperty("annotations").GetProperty("bgplb.io/loadBalancerIPs").GetString() == "198.18.0.x", Bound, "the bad annotation");
        var bad = configuration.Build([running.Store]);

        Assert.False(bad.KeptLastGood);
        Assert.Contains(bad.Snapshot!.Services, s => s.Key.Namespace == ns && s.Annotations["bgplb.io/loadBalancerIPs"] == "198.18.0.10");
        var refused = Assert.Single(bad.Refused);
        Assert.Equal($"Service {ns}/ann", refused.Subject);
        var error = Assert.Single(bad.Diagnostics, d => d.Severity == Severity.Error);
        // The same object in a file: the same finding, word for word, with file and line where the cluster names the object.
        var file = ConfigLoader.LoadText("svc.yaml", $$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: ann
              namespace: {{ns}}
              annotations:
                bgplb.io/loadBalancerIPs: 198.18.0.x
            spec:
              type: LoadBalancer
              ports: [{port: 80}]
            """);
        var fileError = Assert.Single(file.Errors);
        Assert.Equal((fileError.Subject, fileError.Path, fileError.Message), (error.Subject, error.Path, error.Message));
        Assert.Equal($"error: Service {ns}/ann: metadata.annotations.bgplb.io/loadBalancerIPs: \"198.18.0.x\" is not an IP address", ClusterConfiguration.Describe(error));
        await admin.CoreV1.DeleteNamespacedServiceAsync("ann", ns);
    }

    private ApiConnection Api() => ApiConnection.Open(server.KubeconfigPath);

    private Running Start(ResourceType type, WatchOptions options)
    {
        var store = new ResourceStore(type);
        var api = Api();
        return new Running(store, new ResourceWatch(api, store, options, NullLogger.Instance, TimeProvider.System), api);
    }

    private static async Task<string> NewNamespace(k8s.Kubernetes admin, string test)
    {
        var name = Names.Namespace(test);
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    internal static V1Service Service(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Type = "LoadBalancer", Ports = [new V1ServicePort { Port = 80 }] },
    };

    /// <summary>A watch running until disposed.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;

        private readonly ApiConnection? _owned;

        public Running(ResourceStore store, ResourceWatch watch, ApiConnection? owned = null)
        {
            _owned = owned;
            Store = store;
            Watch = watch;
            _task = watch.RunAsync(_stop.Token);
        }

        public ResourceStore Store { get; }

        public ResourceWatch Watch { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task.WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
            _owned?.Dispose();
        }
    }
}
