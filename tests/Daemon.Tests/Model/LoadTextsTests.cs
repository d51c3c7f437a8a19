using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

/// <summary>
/// <see cref="ConfigLoader.LoadTexts"/> (what the admin API's validate of a folder reads) gives the very
/// diagnostics a load of the folder gives: one configuration across the files, each error naming its file.
/// </summary>
public sealed class LoadTextsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bgplb-texts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_folders_texts_give_the_diagnostics_of_loading_the_folder_checks_across_files_included()
    {
        var files = new (string Name, string Text)[]
        {
            ("a-pools.yaml", ModelTest.Pool("vips", "198.18.0.0/24")),
            // Valid only with the pool of the other file; the second pool overlaps it (a check across files).
            ("b-rest.yml", ModelTest.Doc("BGPAdvertisement", "adv", "ipAddressPools: [vips]") + ModelTest.Pool("more", "198.18.0.128/25")
                + ModelTest.Peer("router", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: soon")),
        };
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(_folder, name), text);
        }
        var folder = ConfigLoader.Load(_folder);
        var texts = ConfigLoader.LoadTexts([.. files.Select(f => (Path.Combine(_folder, f.Name), f.Text))]);

        Assert.Null(texts.Snapshot);
        Assert.Equal(folder.Diagnostics.Select(d => d.ToString()), texts.Diagnostics.Select(d => d.ToString()));
        Assert.Contains(texts.Errors, e => e.ToString().StartsWith("error: " + Path.Combine(_folder, "b-rest.yml") + ":", StringComparison.Ordinal) && e.ToString().Contains("holdTime", StringComparison.Ordinal));
        Assert.Contains(texts.Errors, e => e.ToString().Contains("more", StringComparison.Ordinal) && e.ToString().Contains("vips", StringComparison.Ordinal));
        Assert.DoesNotContain(texts.Errors, e => e.ToString().Contains("adv", StringComparison.Ordinal));
    }
}
