using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// A SHA-256 of a JSON value as a value, not as text: object members in the ordinal order of their names, strings
/// escaped as our writer escapes them. The API server keeps a custom resource as unstructured JSON and answers
/// with its members sorted and its own escaping (Go's), so the same status comes back as other bytes; its digest
/// is the same. The NodeState writer keeps these 32 bytes per status member instead of the stored status, which at
/// 10,000 Services is up to <see cref="NodeStateOptions.MaxServiceBytes"/> of JSON (a tree of tens of thousands of nodes).
/// </summary>
internal static class JsonDigest
{
    /// <summary>The digest of <paramref name="value"/>, as 64 hexadecimal digits.</summary>
    public static string Of(JsonElement value)
    {
        using var sink = new HashingWriter();
        using (var writer = new Utf8JsonWriter(sink))
        {
            WriteCanonical(writer, value);
        }
        return sink.Finish();
    }

    /// <summary>The digest of <paramref name="value"/> as it would be sent (a JSON null for null).</summary>
    public static string Of(JsonNode? value)
    {
        var text = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(text))
        {
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }
        }
        using var parsed = JsonDocument.Parse(text.WrittenMemory);
        return Of(parsed.RootElement);
    }

    /// <summary>
    /// The digest of an API object without what a write of its status changes: the <c>status</c> member, and
    /// <c>metadata.resourceVersion</c> and <c>metadata.managedFields</c>. Equal digests: the object asks for the same.
    /// </summary>
    public static string OfInput(JsonElement item)
    {
        using var sink = new HashingWriter();
        using (var writer = new Utf8JsonWriter(sink))
        {
            writer.WriteStartObject();
            foreach (var member in item.EnumerateObject().Where(m => m.Name != "status").OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                writer.WritePropertyName(member.Name);
                if (member.Name == "metadata" && member.Value.ValueKind == JsonValueKind.Object)
                {
                    writer.WriteStartObject();
                    foreach (var field in member.Value.EnumerateObject()
                        .Where(f => f.Name is not ("resourceVersion" or "managedFields"))
                        .OrderBy(f => f.Name, StringComparer.Ordinal))
                    {
                        writer.WritePropertyName(field.Name);
                        WriteCanonical(writer, field.Value);
                    }
                    writer.WriteEndObject();
                }
                else
                {
                    WriteCanonical(writer, member.Value);
                }
            }
            writer.WriteEndObject();
        }
        return sink.Finish();
    }

    /// <summary>A digest per member of <paramref name="value"/> (a status: what a merge patch replaces member by member).</summary>
    public static Dictionary<string, string> OfMembers(JsonObject value)
    {
        var digests = new Dictionary<string, string>(value.Count, StringComparer.Ordinal);
        foreach (var (name, member) in value)
        {
            digests[name] = Of(member);
        }
        return digests;
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in value.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteCanonical(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                // A string is unescaped and written again with our writer's escaping; numbers (whole numbers only
                // in a status, which both sides spell without exponent or fraction), true, false and null as they are.
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>Hashes what the JSON writer hands over, through one pooled buffer: no copy of the whole text is made.</summary>
    private sealed class HashingWriter : IBufferWriter<byte>, IDisposable
    {
        private const int BufferSize = 4096;

        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);

        // Utf8JsonWriter advances what it wrote before it asks for memory again, so the buffer is free for reuse.
        public void Advance(int count) => _hash.AppendData(_buffer, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Reserve(sizeHint);
            return _buffer;
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Reserve(sizeHint);
            return _buffer;
        }

        private void Reserve(int sizeHint)
        {
            if (sizeHint > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
            }
        }

        public string Finish() => Convert.ToHexString(_hash.GetHashAndReset());

        public void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
