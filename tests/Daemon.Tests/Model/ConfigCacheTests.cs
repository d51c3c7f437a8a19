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
        Write("b-services.yaml", Service("web"), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var cache = new ConfigCache();
        Assert.True(ConfigLoader.Load(_folder, cache).IsValid);
        Write("c-more.yaml", Service("web"));
        var result = ConfigLoader.Load(_folder, cache);
        Assert.Equal(1, cache.LastHits);
        var error = Assert.Single(result.Errors);
        Assert.Contains("duplicate Service \"shop/web\"", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("c-more.yaml", error.File, StringComparison.Ordinal);
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
}
