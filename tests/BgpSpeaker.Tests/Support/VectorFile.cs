namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>Hex vector files: '#' lines are comments (source, decoded meaning), the rest hex octets.</summary>
internal static class VectorFile
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Vectors");

    public static string FullPath(string relative) => Path.Combine(Root, relative);

    public static byte[] Load(string relative) => Parse(File.ReadAllLines(FullPath(relative)));

    public static string[] Comments(string relative) =>
        File.ReadAllLines(FullPath(relative)).Where(l => l.StartsWith('#')).Select(l => l[1..]).ToArray();

    public static byte[] Parse(IEnumerable<string> lines)
    {
        var hex = string.Concat(lines.Where(l => !l.TrimStart().StartsWith('#')).Select(l => l.Replace(" ", "", StringComparison.Ordinal).Trim()));
        return Convert.FromHexString(hex);
    }

    public static IEnumerable<object[]> Under(string folder) =>
        Directory.EnumerateFiles(FullPath(folder), "*.hex", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f });
}
