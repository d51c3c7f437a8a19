using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Tests.Model;

/// <summary>Loads YAML text as file "test.yaml" and renders findings as the CLI prints them.</summary>
internal static class ModelTest
{
    public const string FileName = "test.yaml";

    public static ConfigLoadResult Load(string yaml) => ConfigLoader.LoadText(FileName, yaml);

    public static ConfigSnapshot Valid(string yaml)
    {
        var result = Load(yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        return result.Snapshot!;
    }

    /// <summary>The messages of every error, without the "error: file:line:" prefix, which <see cref="Lines"/> checks separately.</summary>
    public static string[] Errors(string yaml)
    {
        var result = Load(yaml);
        Assert.False(result.IsValid);
        return [.. result.Errors.Select(Strip)];
    }

    public static string[] Warnings(ConfigLoadResult result) =>
        [.. result.Diagnostics.Where(d => d.Severity == Severity.Warning).Select(Strip)];

    public static string[] Infos(ConfigLoadResult result) =>
        [.. result.Diagnostics.Where(d => d.Severity == Severity.Info).Select(Strip)];

    /// <summary>"BGPPeer r: spec.holdTime: …" — object, path and message.</summary>
    public static string Strip(Diagnostic d) => (d.Subject.Length > 0 ? d.Subject + ": " : "") + (d.Path.Length > 0 ? d.Path + ": " : "") + d.Message;

    public static string Pool(string name, params string[] addresses) => $"""
        apiVersion: bgplb.io/v1beta1
        kind: IPAddressPool
        metadata:
          name: {name}
        spec:
          addresses: [{string.Join(", ", addresses.Select(a => "\"" + a + "\""))}]
        ---

        """;

    public static string Peer(string name, string spec) => $"""
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata:
          name: {name}
        spec:
        {Indent(spec)}
        ---

        """;

    public static string Doc(string kind, string name, string spec, string apiVersion = "bgplb.io/v1beta1") => $"""
        apiVersion: {apiVersion}
        kind: {kind}
        metadata:
          name: {name}
        spec:
        {Indent(spec)}
        ---

        """;

    private static string Indent(string spec) => string.Join("\n", spec.Split('\n').Select(l => "  " + l));
}
