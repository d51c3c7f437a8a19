using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// The allocations, kept across restarts (even SIGKILL) so every Service keeps its VIP. Written
/// atomically: a temporary file in the same folder, fsync, rename over the old one, fsync of the
/// folder (without that last step a power cut may leave the rename unrecorded).
/// </summary>
public sealed partial class StateFile(string path)
{
    private const int Version = 1;

    public string Path { get; } = path;

    /// <summary>The saved assignments, or null when there is no file (a first start). A file that cannot be read is an error, not an empty state: starting from nothing would move VIPs.</summary>
    public ImmutableArray<Assignment>? Read()
    {
        if (!File.Exists(Path))
        {
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
        var result = ImmutableArray.CreateBuilder<Assignment>(document.Assignments.Count);
        foreach (var entry in document.Assignments)
        {
            var slash = entry.Service.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == entry.Service.Length - 1)
            {
                throw new InvalidDataException($"state file {Path}: \"{entry.Service}\" is not namespace/name");
            }
            var addresses = ImmutableArray.CreateBuilder<IpAddress>(entry.Addresses.Count);
            foreach (var text in entry.Addresses)
            {
                if (!IpAddress.TryParse(text, out var address))
                {
                    throw new InvalidDataException($"state file {Path}: {entry.Service}: \"{text}\" is not an IP address");
                }
                addresses.Add(address);
            }
            result.Add(new Assignment(new ServiceKey(entry.Service[..slash], entry.Service[(slash + 1)..]), entry.Pool, addresses.MoveToImmutable()));
        }
        return result.MoveToImmutable();
    }

    public void Write(IEnumerable<Assignment> assignments)
    {
        var document = new StateDocument
        {
            Version = Version,
            Assignments = [.. assignments.Select(a => new StateEntry { Service = a.Service.ToString(), Pool = a.Pool, Addresses = [.. a.Addresses.Select(x => x.ToString())] })],
        };
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(folder);
        var temporary = System.IO.Path.Combine(folder, "." + System.IO.Path.GetFileName(Path) + ".tmp");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            JsonSerializer.Serialize(stream, document, StateJson.Default.StateDocument);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
        SyncFolder(folder);
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

    public List<StateEntry> Assignments { get; set; } = [];
}

internal sealed class StateEntry
{
    public string Service { get; set; } = "";

    public string Pool { get; set; } = "";

    public List<string> Addresses { get; set; } = [];
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StateDocument))]
internal sealed partial class StateJson : System.Text.Json.Serialization.JsonSerializerContext;
