namespace BgpLb.BgpSpeaker.Tests.Rfc7606;

/// <summary>Reads the hex vector files under Vectors/: hex digits, whitespace, and # comments to end of line.</summary>
internal static class HexVector
{
    public static string PathOf(string relative) =>
        Path.Combine(AppContext.BaseDirectory, "Vectors", relative);

    public static byte[] Load(string relative) => Parse(File.ReadAllText(PathOf(relative)));

    public static byte[] Parse(string text)
    {
        var digits = new System.Text.StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            var data = hash >= 0 ? line[..hash] : line;
            foreach (var c in data)
            {
                if (!char.IsWhiteSpace(c))
                {
                    digits.Append(c);
                }
            }
        }
        return Convert.FromHexString(digits.ToString());
    }
}
