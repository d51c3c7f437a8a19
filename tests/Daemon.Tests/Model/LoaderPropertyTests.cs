using BgpLb.Daemon.Model;
using CsCheck;

namespace BgpLb.Daemon.Tests.Model;

/// <summary>
/// Whatever an edit does to a valid file, loading it gives a result (a snapshot, or errors that name the
/// file), never an exception: a reload must be able to reject any text.
/// </summary>
public class LoaderPropertyTests
{
    private static readonly string Quickstart = File.ReadAllText(Path.Combine(Repository.Root, "examples", "quickstart.yaml"));

    // Fragments an edit might bring in: YAML syntax, wrong types, odd addresses and numbers.
    private static readonly string[] Fragments =
    [
        ":", "-", "- ", "[", "]", "{", "}", "\"", "'", "\n", "  ", "---\n", "&a ", "*a", "!!int ", "#", "null", "~",
        "true", "0", "-1", "4294967296", "1.5", "0x10", "010", "198.18.0.300", "172.030.0.3", "::", "2001:db8::/129",
        "spec:", "metadata:", "kind: BGPPeer", "apiVersion: metallb.io/v1beta2", "matchExpressions:", "operator: In",
    ];

    private static readonly Gen<string> Edited =
        Gen.Select(Gen.Int[0, Quickstart.Length], Gen.Int[0, 40], Gen.Int[0, Fragments.Length - 1])
            .Array[1, 8]
            .Select(edits =>
            {
                var text = Quickstart;
                foreach (var (at, cut, fragment) in edits)
                {
                    var start = Math.Min(at, text.Length);
                    text = text[..start] + Fragments[fragment] + text[Math.Min(text.Length, start + cut)..];
                }
                return text;
            });

    [Fact]
    public void Any_edit_of_a_valid_file_loads_to_a_snapshot_or_to_errors_naming_the_file()
    {
        Edited.Sample(text =>
        {
            var result = ConfigLoader.LoadText("edited.yaml", text);
            Assert.Equal(result.Snapshot is null, result.Errors.Any());
            Assert.All(result.Diagnostics, d => Assert.Equal("edited.yaml", d.File));
        }, iter: 2000);
    }
}
