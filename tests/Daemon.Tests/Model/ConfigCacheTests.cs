using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

public sealed class ConfigCacheTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bgplb-cache-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Service(string name) => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: {{name}}, namespace: shop }
        spec: { type: LoadBalancer, ports: [{ port: 80 }] }
        ---

        """;

    private void Write(string file, string text, DateTime? time = null)
    {
        var path = Path.Combine(_folder, file);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, time ?? DateTime.UtcNow);
    }

    [Fact]
    public void An_unchanged_file_of_services_is_taken_over_and_a_changed_one_read_again()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"));
        Write("b-services.yaml", Service("web") + Service("api"), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var cache = new ConfigCache();
        Assert.Equal(2, ConfigLoader.Load(_folder, cache).Snapshot!.Services.Length);
        Assert.Equal(0, cache.LastHits);

        var again = ConfigLoader.Load(_folder, cache);
        Assert.Equal(1, cache.LastHits); // the services file; the pool's file is always read again
        Assert.Equal(["shop/web", "shop/api"], again.Snapshot!.Services.Select(s => s.Key.ToString()));

        Write("b-services.yaml", Service("web") + Service("api") + Service("db"));
        var changed = ConfigLoader.Load(_folder, cache);
        Assert.Equal(0, cache.LastHits);
        Assert.Equal(3, changed.Snapshot!.Services.Length);
    }

    [Fact]
    public void Checks_across_files_still_see_taken_over_objects()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"));
        Write("b-services.yaml", Service("api") + Service("web"), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var cache = new ConfigCache();
        Assert.True(ConfigLoader.Load(_folder, cache).IsValid);
        Write("c-more.yaml", Service("web"));
        var result = ConfigLoader.Load(_folder, cache);
        Assert.Equal(1, cache.LastHits);
        var error = Assert.Single(result.Errors);
        Assert.Contains("duplicate Service \"shop/web\"", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("c-more.yaml", error.File, StringComparison.Ordinal);
        // The earlier one, taken over from the cache, keeps its own file and line (the second document, line 6).
        Assert.EndsWith($"{Path.Combine(_folder, "b-services.yaml")}:6)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_errors_gives_the_same_errors_when_taken_over()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"));
        Write("b-services.yaml", Service("web").Replace("port: 80", "port: 99999", StringComparison.Ordinal), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var cache = new ConfigCache();
        var first = ConfigLoader.Load(_folder, cache).Errors.Select(e => e.ToString()).ToArray();
        Assert.NotEmpty(first);
        var second = ConfigLoader.Load(_folder, cache).Errors.Select(e => e.ToString()).ToArray();
        Assert.Equal(1, cache.LastHits);
        Assert.Equal(first, second);
    }

    private static readonly DateTime Old = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static string Namespace(string name, string label) => $$"""
        apiVersion: v1
        kind: Namespace
        metadata: { name: {{name}}, labels: { team: {{label}} } }
        ---

        """;

    [Fact]
    public void Changes_name_the_services_of_the_files_that_changed()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"));
        Write("b-services.yaml", Service("web") + Service("api"), Old);
        Write("c-more.yaml", Service("db"), Old);
        var cache = new ConfigCache();
        var first = ConfigLoader.Load(_folder, cache);
        Assert.Null(first.Changes); // nothing to count from

        Write("d-added.yaml", Service("cache"));
        var added = ConfigLoader.Load(_folder, cache);
        Assert.Same(first.Snapshot, added.Changes!.Base);
        Assert.True(added.Changes.OnlyServices); // a-bgp.yaml was read again, but its stamp is the same
        Assert.Equal(["shop/cache"], added.Changes.Upserted.Select(s => s.Key.ToString()));
        Assert.Empty(added.Changes.Removed);

        // db moves to another file (it keeps its VIP: not removed), api leaves.
        File.Delete(Path.Combine(_folder, "c-more.yaml"));
        Write("b-services.yaml", Service("web") + Service("db"));
        var moved = ConfigLoader.Load(_folder, cache);
        Assert.Same(added.Snapshot, moved.Changes!.Base);
        Assert.Equal(["shop/api"], moved.Changes.Removed.Select(k => k.ToString()));
        Assert.Equal(["shop/web", "shop/db"], moved.Changes.Upserted.Select(s => s.Key.ToString()));
    }

    [Fact]
    public void A_change_beside_the_services_reuses_their_list_and_says_it_is_not_only_services()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"), Old);
        Write("b-services.yaml", Service("web") + Service("api"), Old);
        var cache = new ConfigCache();
        var first = ConfigLoader.Load(_folder, cache);
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/23"));
        var second = ConfigLoader.Load(_folder, cache);
        Assert.False(second.Changes!.OnlyServices);
        Assert.True(second.Changes.ServicesUnchanged);
        Assert.Equal(first.Snapshot!.Services, second.Snapshot!.Services); // the very array: no pass over 100,000 Services
    }

    [Fact]
    public void Changed_namespace_labels_give_no_changes_and_a_rejected_load_is_not_counted_from()
    {
        Write("a-bgp.yaml", ModelTest.Pool("vips", "198.18.0.0/24"), Old);
        Write("b-services.yaml", Service("web"), Old);
        Write("c-ns.yaml", Namespace("shop", "a"), Old);
        var cache = new ConfigCache();
        var first = ConfigLoader.Load(_folder, cache);
        Write("c-ns.yaml", Namespace("shop", "b"));
        var relabelled = ConfigLoader.Load(_folder, cache);
        Assert.Null(relabelled.Changes); // every Service of the namespace is new
        Assert.Equal("b", relabelled.Snapshot!.Services[0].NamespaceLabels["team"]);

        Write("d-bad.yaml", Service("web"));
        Assert.False(ConfigLoader.Load(_folder, cache).IsValid);
        File.Delete(Path.Combine(_folder, "d-bad.yaml"));
        Write("e-new.yaml", Service("db"));
        var next = ConfigLoader.Load(_folder, cache);
        Assert.Same(relabelled.Snapshot, next.Changes!.Base);
        Assert.Equal(["shop/db"], next.Changes.Upserted.Select(s => s.Key.ToString()));
        Assert.Equal("b", next.Changes.Upserted[0].NamespaceLabels["team"]);
    }
}
