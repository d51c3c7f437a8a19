using BgpLb.Allocator;
using BgpLb.Daemon.Runtime;

namespace BgpLb.Daemon.Tests.Runtime;

public sealed class StateFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bgplb-state-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf => Path.Combine(_folder, "state.json");

    private static Assignment A(string name, string address) =>
        new(new ServiceKey("shop", name), "vips", [IpAddress.Parse(address)]);

    private Assignment[]? ReadFresh() => new StateFile(PathOf).Read()?.ToArray();

    [Fact]
    public void No_file_is_a_first_start()
    {
        Assert.Null(ReadFresh());
    }

    [Fact]
    public void A_snapshot_reads_back_in_service_order()
    {
        using var state = new StateFile(PathOf);
        state.Write([A("web", "198.18.0.2"), A("api", "198.18.0.1")]);
        Assert.Equal([A("api", "198.18.0.1"), A("web", "198.18.0.2")], ReadFresh()!);
        Assert.False(File.Exists(PathOf + ".journal"));
    }

    [Fact]
    public void Journal_changes_are_replayed_over_the_snapshot()
    {
        using (var state = new StateFile(PathOf))
        {
            state.Write([A("web", "198.18.0.1"), A("api", "198.18.0.2")]);
            state.Append([A("db", "198.18.0.3")], []);
            state.Append([A("web", "198.18.0.4")], [A("api", "198.18.0.2")]);
            Assert.Equal(3, state.JournalEntries);
        }
        var reader = new StateFile(PathOf);
        Assert.Equal([A("db", "198.18.0.3"), A("web", "198.18.0.4")], reader.Read()!.Value.ToArray());
        Assert.Equal(3, reader.JournalEntries);
    }

    [Fact]
    public void A_last_line_cut_short_is_ignored_but_one_in_the_middle_is_an_error()
    {
        using (var state = new StateFile(PathOf))
        {
            state.Write([A("web", "198.18.0.1")]);
            state.Append([A("db", "198.18.0.3")], []);
        }
        File.AppendAllText(PathOf + ".journal", "{\"service\":\"shop/api\",\"po");
        Assert.Equal([A("db", "198.18.0.3"), A("web", "198.18.0.1")], ReadFresh()!);

        File.AppendAllText(PathOf + ".journal", "\n{\"service\":\"shop/x\",\"pool\":\"vips\",\"addresses\":[\"198.18.0.9\"]}\n");
        var error = Assert.Throws<InvalidDataException>(() => ReadFresh());
        Assert.Contains("line 3 is not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_journal_of_an_older_snapshot_is_ignored()
    {
        string old;
        using (var state = new StateFile(PathOf))
        {
            state.Write([A("web", "198.18.0.1")]);
            state.Append([A("web", "198.18.0.7")], []);
            old = File.ReadAllText(PathOf + ".journal");
            // The next snapshot already holds web's newer address; a crash left the old journal behind.
            state.Write([A("web", "198.18.0.8")]);
        }
        File.WriteAllText(PathOf + ".journal", old);
        Assert.Equal([A("web", "198.18.0.8")], ReadFresh()!);
    }

    [Fact]
    public void After_reading_an_earlier_runs_journal_only_a_snapshot_may_be_written()
    {
        using (var state = new StateFile(PathOf))
        {
            state.Write([A("web", "198.18.0.1")]);
            state.Append([A("db", "198.18.0.3")], []);
        }
        using var next = new StateFile(PathOf);
        var saved = next.Read()!.Value;
        Assert.False(next.MayAppend);
        Assert.Throws<InvalidOperationException>(() => next.Append([A("x", "198.18.0.5")], []));
        next.Write(saved);
        next.Append([A("x", "198.18.0.5")], []);
        Assert.Equal([A("db", "198.18.0.3"), A("web", "198.18.0.1"), A("x", "198.18.0.5")], ReadFresh()!);
    }

    [Fact]
    public void A_journal_without_its_snapshot_is_an_error()
    {
        File.WriteAllText(PathOf + ".journal", "{\"version\":1,\"generation\":1}\n");
        var error = Assert.Throws<InvalidDataException>(() => ReadFresh());
        Assert.Contains("state.json.journal exists but its snapshot", error.Message, StringComparison.Ordinal);
    }
}
