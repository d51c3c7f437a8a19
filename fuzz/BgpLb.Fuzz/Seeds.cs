using System.Security.Cryptography;

namespace BgpLb.Fuzz;

/// <summary>
/// Builds the initial AFL corpus from the golden vectors: each <c>*.hex</c> file (<c>#</c> lines
/// are comments) becomes a <see cref="DecoderTarget"/> input (selector, split, message), each
/// <c>*.bin</c> (a saved fuzzer input) is taken as it is, and each
/// capture directory's messages concatenated (not <c>malformed/</c>'s) become a multi-message stream.
/// </summary>
internal static class Seeds
{
    /// <summary>Split at the middle of the stream.</summary>
    private const byte MiddleSplit = 0x80;

    /// <summary>One seed per message: pre-negotiation defaults, then 4-octet AS + Extended Message.</summary>
    private static readonly byte[] MessageSelectors = [0x00, 0x09];

    /// <summary>Whole sessions: 4-octet AS; and 4-octet AS, ADD-PATH both families, Extended Message, external.</summary>
    private static readonly byte[] SessionSelectors = [0x01, 0x1F];

    private const string MalformedDirectory = "malformed";

    /// <returns>The number of seed files written.</returns>
    public static int Write(string vectorsDirectory, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var written = new HashSet<string>(StringComparer.Ordinal);
        var files = Directory.GetFiles(vectorsDirectory, "*.hex", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            var message = ReadHex(file);
            foreach (var selector in MessageSelectors)
            {
                Save(outputDirectory, written, Label(vectorsDirectory, file), selector, message);
            }
        }
        // Saved fuzzer inputs (fuzz-crash-*.bin) are already in the target's layout.
        var saved = Directory.GetFiles(vectorsDirectory, "*.bin", SearchOption.AllDirectories);
        Array.Sort(saved, StringComparer.Ordinal);
        foreach (var file in saved)
        {
            var input = File.ReadAllBytes(file);
            if (input.Length >= 2)
            {
                Save(outputDirectory, written, Label(vectorsDirectory, file), input[0], input[2..], input[1]);
            }
        }
        // Sessions of malformed vectors would stop at the first: each stands alone.
        foreach (var group in files.GroupBy(Path.GetDirectoryName).Where(g => Path.GetFileName(g.Key) != MalformedDirectory))
        {
            var session = group.SelectMany(ReadHex).ToArray();
            foreach (var selector in SessionSelectors)
            {
                Save(outputDirectory, written, "session_" + Label(vectorsDirectory, group.Key!), selector, session);
            }
        }
        return written.Count;
    }

    /// <summary>Writes <c>LABEL.sSELECTOR.bin</c>, unless the same bytes were already written.</summary>
    private static void Save(string directory, HashSet<string> written, string label, byte selector, byte[] stream, byte split = MiddleSplit)
    {
        var seed = new byte[2 + stream.Length];
        seed[0] = selector;
        seed[1] = split;
        stream.CopyTo(seed, 2);
        if (written.Add(Convert.ToHexString(SHA256.HashData(seed))))
        {
            File.WriteAllBytes(Path.Combine(directory, $"{label}.s{selector:x2}.bin"), seed);
        }
    }

    /// <summary>The vector's path below the vectors directory, as one file name: <c>captured_bird_open</c>.</summary>
    private static string Label(string vectorsDirectory, string path) =>
        Path.ChangeExtension(Path.GetRelativePath(vectorsDirectory, path), null).Replace(Path.DirectorySeparatorChar, '_');

    /// <summary>Hex digits of the non-comment lines, whitespace ignored.</summary>
    public static byte[] ReadHex(string file)
    {
        var digits = string.Concat(File.ReadLines(file)
            .Where(line => !line.TrimStart().StartsWith('#'))
            .SelectMany(line => line.Where(char.IsAsciiHexDigit)));
        return Convert.FromHexString(digits);
    }
}
