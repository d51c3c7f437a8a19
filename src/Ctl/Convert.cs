using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;

namespace BgpLb.Ctl;

/// <summary>
/// <c>bgplbctl convert metallb FILE</c>: a MetalLB manifest as bgplb.io objects. The rewrite is
/// textual, line by line, so comments, order and formatting survive: the metallb.io apiVersions
/// become bgplb.io (same versions: the kinds and fields are MetalLB's, DESIGN §4), and the Service
/// annotations MetalLB reads under metallb.io/ or metallb.universe.tf/ become bgplb.io/.
/// </summary>
internal static partial class Convert
{
    /// <summary>The kinds bgplb reads in bgplb.io (docs/configuration.md); any other metallb.io kind is reported.</summary>
    private static readonly HashSet<string> Kinds = new(StringComparer.Ordinal) { "IPAddressPool", "BGPPeer", "BGPAdvertisement", "L2Advertisement", "BFDProfile", "Community" };

    [GeneratedRegex(@"^(\s*apiVersion:\s*)[""']?metallb\.io/(v1beta[12])[""']?(\s*(#.*)?)$")]
    private static partial Regex ApiVersion();

    [GeneratedRegex(@"(metallb\.universe\.tf|metallb\.io)/(address-pool|loadBalancerIPs|allow-shared-ip)")]
    private static partial Regex Annotation();

    [GeneratedRegex(@"^\s*kind:\s*[""']?(\w+)")]
    private static partial Regex Kind();

    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "a MetalLB manifest (YAML, multi-document)" };
        file.AcceptExistingOnly();
        var metallb = new Command("metallb", "rewrite a MetalLB manifest into bgplb.io objects (printed on standard output)") { file };
        metallb.SetAction(parsed =>
        {
            var path = parsed.GetValue(file)!.FullName;
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: cannot read {path}: {e.Message}");
                return Program.ExitFailure;
            }
            var result = Rewrite(text);
            output.Write(result.Text);
            foreach (var warning in result.Warnings)
            {
                error.WriteLine("warning: " + warning);
            }
            error.WriteLine($"converted {result.Objects} metallb.io object(s) and {result.Annotations} annotation(s)");
            return 0;
        });
        return new Command("convert", "convert another load balancer's configuration into bgplb's") { metallb };
    }

    public sealed record Result(string Text, int Objects, int Annotations, IReadOnlyList<string> Warnings);

    public static Result Rewrite(string text)
    {
        var output = new StringBuilder(text.Length);
        var warnings = new List<string>();
        int objects = 0, annotations = 0, number = 0;
        // A document's kind may come before or after its apiVersion: judge it when the document ends.
        var converted = false;
        string? kind = null;
        void EndDocument()
        {
            if (converted && kind is not null && !Kinds.Contains(kind))
            {
                warnings.Add($"line {number}: {kind} is a MetalLB kind bgplb does not read; bgplb validate will name it");
            }
            converted = false;
            kind = null;
        }
        foreach (var line in text.Split('\n'))
        {
            number++;
            var rewritten = line;
            if (line.StartsWith("---", StringComparison.Ordinal))
            {
                EndDocument();
            }
            else if (ApiVersion().Match(line) is { Success: true } api)
            {
                rewritten = api.Groups[1].Value + "bgplb.io/" + api.Groups[2].Value + api.Groups[3].Value;
                converted = true;
                objects++;
            }
            else if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && Kind().Match(line) is { Success: true } k)
            {
                kind = k.Groups[1].Value;
            }
            var count = Annotation().Count(rewritten);
            if (count > 0)
            {
                rewritten = Annotation().Replace(rewritten, "bgplb.io/$2");
                annotations += count;
            }
            output.Append(rewritten).Append('\n');
        }
        EndDocument();
        // Split leaves one empty piece after a final newline: do not add a second one.
        output.Length--;
        return new Result(output.ToString(), objects, annotations, warnings);
    }
}
