using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// The allocations, kept across restarts (even SIGKILL) so every Service keeps its VIP.
/// <para>
/// Two files. <see cref="Path"/> holds every assignment, written atomically by <see cref="Write"/>: a
/// temporary file in the same folder, fsync, rename over the old one, fsync of the folder (without
/// that last step a power cut may leave the rename unrecorded). Beside it, <c>PATH.journal</c> holds
/// the changes since, one JSON line each, appended and fsynced by <see cref="Append"/>: a reload that
/// adds one Service to 100,000 writes one line, not the whole file. The journal starts with the
/// generation of the snapshot it extends; a journal of another generation (left by a crash between a
/// snapshot's rename and the old journal's removal) is already inside the snapshot and is ignored.
/// A last line cut short by a crash is ignored too: its apply had not announced anything yet.
/// </para>
/// </summary>
public sealed partial class StateFile(string path) : IDisposable
{
    private const int Version = 1;

    private FileStream? _journal;
    private long _generation;

    // False after reading a journal this process did not write: its last line may be cut short, and a
    // line appended after that would be lost in the middle. A Write starts clean.
    private bool _mayAppend = true;
    private bool _unsynced;

    public string Path { get; } = path;

    private string JournalPath => Path + ".journal";

    /// <summary>Changes in the journal since the snapshot (what a restart would replay).</summary>
    public int JournalEntries { get; private set; }

    /// <summary>False when <see cref="Append"/> must wait for a <see cref="Write"/> (a journal from an earlier run is in place).</summary>
    public bool MayAppend => _mayAppend;

    /// <summary>
    /// The saved assignments in Service order, or null when there is no state (a first start). A file that
    /// cannot be read is an error, not an empty state: starting from nothing would move VIPs.
    /// </summary>
    public ImmutableArray<Assignment>? Read()
    {
        if (!File.Exists(Path))
        {
            if (File.Exists(JournalPath))
            {
                throw new InvalidDataException($"state journal {JournalPath} exists but its snapshot {Path} does not");
            }
            return null;
        }
        StateDocument? document;
        try
        {
            using var stream = File.OpenRead(Path);
            document = JsonSerializer.Deserialize(stream, StateJson.Default.StateDocument);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"state file {Path} is not valid: {e.Message}", e);
        }
        if (document is null || document.Version != Version)
        {
            throw new InvalidDataException($"state file {Path} has version {document?.Version}, expected {Version}");
        }
        _generation = document.Generation;
        var state = new Dictionary<ServiceKey, Assignment>(document.Assignments.Count);
        foreach (var entry in document.Assignments)
        {
            var assignment = Parse(Path, entry);
            state[assignment.Service] = assignment;
        }
        JournalEntries = Replay(state);
        _mayAppend = !File.Exists(JournalPath);
        return [.. state.Values.OrderBy(a => a.Service)];
    }

    /// <summary>Applies the journal of this snapshot's generation to <paramref name="state"/>; returns how many changes it held.</summary>
    private int Replay(Dictionary<ServiceKey, Assignment> state)
    {
        if (!File.Exists(JournalPath))
        {
            return 0;
        }
        var lines = File.ReadAllLines(JournalPath, Encoding.UTF8);
        if (lines.Length == 0 || !TryHeader(lines[0], out var generation) || generation != _generation)
        {
            return 0; // another snapshot's journal (or a header cut short): the snapshot has it all
        }
        var applied = 0;
        for (var i = 1; i < lines.Length; i++)
        {
            StateEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(lines[i], StateJson.Default.StateEntry);
            }
            catch (JsonException e)
            {
                if (i == lines.Length - 1)
                {
                    break; // the line being written when the process died: its change was never announced
                }
                throw new InvalidDataException($"state journal {JournalPath} line {i + 1} is not valid: {e.Message}", e);
            }
            if (entry is null)
            {
                throw new InvalidDataException($"state journal {JournalPath} line {i + 1} is empty");
            }
            var assignment = Parse(JournalPath, entry);
            if (entry.Removed)
            {
                state.Remove(assignment.Service);
            }
            else
            {
                state[assignment.Service] = assignment;
            }
            applied++;
        }
        return applied;
    }

    private static bool TryHeader(string line, out long generation)
    {
        generation = 0;
        try
        {
            var header = JsonSerializer.Deserialize(line, StateJson.Default.JournalHeader);
            if (header is null || header.Version != Version)
            {
                return false;
            }
            generation = header.Generation;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Assignment Parse(string file, StateEntry entry)
    {
        var slash = entry.Service.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == entry.Service.Length - 1)
        {
            throw new InvalidDataException($"state file {file}: \"{entry.Service}\" is not namespace/name");
        }
        var addresses = ImmutableArray.CreateBuilder<IpAddress>(entry.Addresses.Count);
        foreach (var text in entry.Addresses)
        {
            if (!IpAddress.TryParse(text, out var address))
            {
                throw new InvalidDataException($"state file {file}: {entry.Service}: \"{text}\" is not an IP address");
            }
            addresses.Add(address);
        }
        return new Assignment(new ServiceKey(entry.Service[..slash], entry.Service[(slash + 1)..]), entry.Pool, addresses.MoveToImmutable());
    }

    private static StateEntry Entry(Assignment a, bool removed = false) =>
        new() { Service = a.Service.ToString(), Pool = a.Pool, Addresses = [.. a.Addresses.Select(x => x.ToString())], Removed = removed };

    /// <summary>Writes every assignment as a new snapshot and starts an empty journal after it.</summary>
    public void Write(IEnumerable<Assignment> assignments)
    {
        var generation = _generation + 1;
        var folder = Folder;
        Directory.CreateDirectory(folder);
        var temporary = System.IO.Path.Combine(folder, "." + System.IO.Path.GetFileName(Path) + ".tmp");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            // The StateDocument shape, written one entry at a time: a document of 100 000 entries built
            // first lived through the whole write and was the daemon's largest start-up garbage.
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WriteNumber("version", Version);
                writer.WriteNumber("generation", generation);
                writer.WriteStartArray("assignments");
                foreach (var assignment in assignments)
                {
                    writer.WriteStartObject();
                    writer.WriteString("service", assignment.Service.ToString());
                    writer.WriteString("pool", assignment.Pool);
                    writer.WriteStartArray("addresses");
                    foreach (var address in assignment.Addresses)
                    {
                        writer.WriteStringValue(address.ToString());
                    }
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                    if (writer.BytesPending > 1 << 16)
                    {
                        writer.Flush();
                    }
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
        SyncFolder(folder);
        _generation = generation;
        // The old journal is inside the new snapshot now; should the process die before it is gone,
        // its generation no longer matches and a restart ignores it.
        _journal?.Dispose();
        _journal = null;
        _unsynced = false;
        File.Delete(JournalPath);
        JournalEntries = 0;
        _mayAppend = true;
    }

    /// <summary>
    /// Records that <paramref name="set"/> now hold these addresses and <paramref name="removed"/> hold none:
    /// in the kernel when it returns (a SIGKILL after it loses nothing), on disk after <see cref="Sync"/>.
    /// The daemon announces in between, so the fsync is not on the path from an edit to its route; a
    /// power cut before it may lose the last lines, and their Services then take their lowest free
    /// address again, which is the same one unless another Service took it meanwhile. After a
    /// <see cref="Read"/> that found a journal, a <see cref="Write"/> must come first (<see cref="MayAppend"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">A journal from another process is still there.</exception>
    public void Append(IReadOnlyCollection<Assignment> set, IReadOnlyCollection<Assignment> removed)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(removed);
        if (!_mayAppend)
        {
            throw new InvalidOperationException($"state journal {JournalPath} was left by an earlier run: write a snapshot first");
        }
        if (_journal is null)
        {
            var created = !File.Exists(JournalPath);
            _journal = new FileStream(JournalPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 12);
            if (created || _journal.Length == 0)
            {
                WriteLine(JsonSerializer.SerializeToUtf8Bytes(new JournalHeader { Version = Version, Generation = _generation }, StateJson.Default.JournalHeader));
            }
            if (created)
            {
                _journal.Flush(flushToDisk: true);
                SyncFolder(Folder); // the journal's name must survive a power cut, as the snapshot's rename does
            }
        }
        foreach (var assignment in removed)
        {
            WriteLine(JsonSerializer.SerializeToUtf8Bytes(Entry(assignment, removed: true), StateJson.Default.StateEntry));
        }
        foreach (var assignment in set)
        {
            WriteLine(JsonSerializer.SerializeToUtf8Bytes(Entry(assignment), StateJson.Default.StateEntry));
        }
        _journal.Flush(flushToDisk: false);
        _unsynced = true;
        JournalEntries += set.Count + removed.Count;
    }

    /// <summary>Puts what <see cref="Append"/> wrote on disk (fsync); nothing to do when it is there already.</summary>
    public void Sync()
    {
        if (_unsynced && _journal is not null)
        {
            _journal.Flush(flushToDisk: true);
        }
        _unsynced = false;
    }

    private void WriteLine(byte[] json)
    {
        _journal!.Write(json);
        _journal.WriteByte((byte)'\n');
    }

    private string Folder => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;

    public void Dispose()
    {
        if (_unsynced)
        {
            _journal?.Flush(flushToDisk: true);
        }
        _journal?.Dispose();
        _journal = null;
    }

    internal static void SyncFolder(string folder)
    {
        const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (Linux)
        var fd = Open(folder, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new IOException($"cannot open {folder} to sync the state file's rename: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of {folder} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

internal sealed class StateDocument
{
    public int Version { get; set; }

    /// <summary>Counts snapshots; the journal names the one it extends. Absent (0) in files written before the journal existed.</summary>
    public long Generation { get; set; }

    public List<StateEntry> Assignments { get; set; } = [];
}

internal sealed class JournalHeader
{
    public int Version { get; set; }

    public long Generation { get; set; }
}

internal sealed class StateEntry
{
    public string Service { get; set; } = "";

    public string Pool { get; set; } = "";

    public List<string> Addresses { get; set; } = [];

    /// <summary>In the journal: the Service gave its addresses back.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool Removed { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StateDocument))]
[System.Text.Json.Serialization.JsonSerializable(typeof(JournalHeader))]
[System.Text.Json.Serialization.JsonSerializable(typeof(StateEntry))]
internal sealed partial class StateJson : System.Text.Json.Serialization.JsonSerializerContext;
