namespace BgpLb.L2Fallback.Tests.Support;

/// <summary>Vector files under Vectors/: '#' lines say where the bytes come from; the rest is hex, spaces and line breaks ignored.</summary>
internal static class Vectors
{
    public static byte[] Load(string relative)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Vectors", relative));
        return Convert.FromHexString(string.Concat(lines
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Replace(" ", "", StringComparison.Ordinal))));
    }
}
