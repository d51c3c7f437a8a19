using System.Globalization;
using System.Text.RegularExpressions;

namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>
/// What TShark said a captured message holds, read from the "decoded by TShark" comment block the
/// capture script writes above each vector: an independent decoder to check ours against.
/// </summary>
internal sealed partial class TsharkTree
{
    public int MessageType { get; private set; }
    public List<(int Code, string Value)> Capabilities { get; } = [];
    public List<(int Flags, int Type, string Value)> Attributes { get; } = [];
    public List<string> Announced { get; } = [];
    public List<string> Withdrawn { get; } = [];
    public Dictionary<string, string> Fields { get; } = [];

    public static TsharkTree Parse(IEnumerable<string> comments)
    {
        var tree = new TsharkTree();
        var inCapability = false;
        var withdrawnSection = false;
        int? flags = null;
        foreach (var raw in comments)
        {
            var line = raw.Trim();
            Match m;
            if ((m = MessageTypeLine().Match(line)).Success && tree.MessageType == 0)
            {
                tree.MessageType = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Capability:", StringComparison.Ordinal))
            {
                inCapability = true;
            }
            else if (inCapability && (m = CodeLine().Match(line)).Success && line.StartsWith("Type:", StringComparison.Ordinal))
            {
                tree.Capabilities.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), ""));
            }
            else if (line.StartsWith("Flags: 0x", StringComparison.Ordinal))
            {
                flags = Convert.ToInt32(line[9..11], 16);
            }
            else if (line.StartsWith("Type Code:", StringComparison.Ordinal) && (m = CodeLine().Match(line)).Success)
            {
                tree.Attributes.Add((flags ?? -1, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), ""));
            }
            else if (line.StartsWith("value: ", StringComparison.Ordinal))
            {
                var value = line[7..];
                if (inCapability && tree.Capabilities.Count > 0 && tree.Attributes.Count == 0)
                {
                    tree.Capabilities[^1] = (tree.Capabilities[^1].Code, value);
                }
                else if (tree.Attributes.Count > 0)
                {
                    tree.Attributes[^1] = (tree.Attributes[^1].Flags, tree.Attributes[^1].Type, value);
                }
            }
            else if (line.StartsWith("Withdrawn Routes", StringComparison.Ordinal) && !line.Contains("Length", StringComparison.Ordinal))
            {
                withdrawnSection = true;
            }
            else if (line.StartsWith("Network Layer Reachability Information", StringComparison.Ordinal))
            {
                withdrawnSection = false;
            }
            else if (PrefixLine().IsMatch(line))
            {
                (withdrawnSection ? tree.Withdrawn : tree.Announced).Add(line);
            }
            else if ((m = FieldLine().Match(line)).Success)
            {
                tree.Fields.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
            }
        }
        return tree;
    }

    [GeneratedRegex(@"^Type: \w[\w-]* Message \((\d+)\)$")]
    private static partial Regex MessageTypeLine();

    [GeneratedRegex(@"\((\d+)\)$")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"^[0-9a-f.:]+/\d+$")]
    private static partial Regex PrefixLine();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9 ()-]*?): (.+)$")]
    private static partial Regex FieldLine();
}
