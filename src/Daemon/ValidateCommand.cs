using System.CommandLine;
using System.Globalization;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon;

/// <summary>
/// <c>bgplb validate --config PATH</c>: loads and checks the configuration exactly as a start or reload
/// does, starts nothing. Findings go to standard error; a valid configuration prints one summary line.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var config = new Option<string>("--config")
        {
            Description = "a YAML file or a folder of them (multi-document, Kubernetes-shaped)",
            Required = true,
        };
        var command = new Command("validate", "check a configuration and print every error, or a summary of what was read") { config };
        command.SetAction(parsed => Run(parsed.GetValue(config)!, output, errors));
        return command;
    }

    public static int Run(string path, TextWriter output, TextWriter errors)
    {
        var result = ConfigLoader.Load(path);
        foreach (var diagnostic in result.Diagnostics)
        {
            errors.WriteLine(diagnostic);
        }
        if (result.Snapshot is not { } snapshot)
        {
            errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"invalid: {result.Errors.Count()} error(s) in {path}"));
            return Program.ExitInvalid;
        }
        output.WriteLine(Summary(path, result.Files, snapshot, result.Diagnostics.Count(d => d.Severity == Severity.Warning)));
        return 0;
    }

    public static string Summary(string path, int files, ConfigSnapshot s, int warnings)
    {
        var parts = new (int Count, string Kind)[]
        {
            (s.Pools.Length, "IPAddressPool"), (s.Peers.Length, "BGPPeer"), (s.BgpAdvertisements.Length, "BGPAdvertisement"),
            (s.L2Advertisements.Length, "L2Advertisement"), (s.BfdProfiles.Length, "BFDProfile"), (s.Communities.Length, "Community"),
            (s.Services.Length, "Service"), (s.Nodes.Length, "Node"), (s.Namespaces.Length, "Namespace"),
            (s.Secrets.Length, "Secret"), (s.EndpointSlices.Length, "EndpointSlice"),
        };
        var read = string.Join(", ", parts.Where(p => p.Count > 0).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Count} {p.Kind}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"valid: {path} ({files} file{(files == 1 ? "" : "s")}): {(read.Length == 0 ? "nothing" : read)}; {warnings} warning{(warnings == 1 ? "" : "s")}");
    }
}
