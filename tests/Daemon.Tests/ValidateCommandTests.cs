using System.Diagnostics;

namespace BgpLb.Daemon.Tests;

/// <summary><c>bgplb validate</c> run as a process, as a user or a script runs it: exit codes and output.</summary>
public class ValidateCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    internal static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        // The daemon's dll is copied next to the tests by the project reference; run it with the same host as the tests.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bgplb.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bgplb {string.Join(' ', args)} did not exit within {Timeout.TotalSeconds} s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void The_quickstart_validates_with_exit_0_and_a_one_line_summary()
    {
        var path = Path.Combine(Repository.Root, "examples", "quickstart.yaml");
        var (code, stdout, stderr) = Run("validate", "--config", path);
        Assert.Equal(0, code);
        Assert.Equal($"valid: {path} (1 file): 1 IPAddressPool, 1 BGPPeer, 1 BGPAdvertisement, 3 Service; 0 warnings\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void The_MetalLB_manifest_validates_with_its_info_lines_on_stderr()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "metallb.yaml");
        var (code, stdout, stderr) = Run("validate", "--config", path);
        Assert.Equal(0, code);
        Assert.Equal($"valid: {path} (1 file): 2 IPAddressPool, 2 BGPPeer, 2 BGPAdvertisement, 1 L2Advertisement, 1 BFDProfile, 1 Community, 1 Service, 1 Namespace, 1 Secret; 1 warning\n", stdout);
        Assert.Contains($"info: {path}:2: IPAddressPool metallb-system/first-pool: read metallb.io/v1beta1 IPAddressPool as its bgplb.io equivalent\n", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_file_exits_2_and_prints_every_error()
    {
        var dir = Directory.CreateTempSubdirectory("bgplb-validate-");
        try
        {
            var path = Path.Combine(dir.FullName, "bad.yaml");
            File.WriteAllText(path, """
                apiVersion: bgplb.io/v1beta1
                kind: IPAddressPool
                metadata: { name: p }
                spec:
                  addresses: ["198.18.0.0/24", "10.0.0.300-10.0.0.4"]
                ---
                apiVersion: bgplb.io/v1beta1
                kind: BGPPeer
                metadata: { name: r }
                spec:
                  myASN: 4200000001
                  peerASN: 64512
                  peerAddress: 172.030.0.3
                  holdTime: 2s
                  vrf: red
                """);
            var (code, stdout, stderr) = Run("validate", "--config", path);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal(
                $"error: {path}:5: IPAddressPool p: spec.addresses[1]: \"10.0.0.300-10.0.0.4\" is not an IPv4 range\n"
                + $"error: {path}:13: BGPPeer r: spec.peerAddress: \"172.030.0.3\" is not an IP address\n"
                + $"error: {path}:14: BGPPeer r: spec.holdTime: \"2s\" is invalid: must be at least 3s (RFC 4271 §4.2)\n"
                + $"error: {path}:15: BGPPeer r: spec.vrf: not supported: BgpLb peers from the default VRF only\n"
                + $"invalid: 4 error(s) in {path}\n", stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("validate", "--config")]
    [InlineData("validate", "--config", "a", "--colour")]
    [InlineData("frobnicate")]
    public void Bad_arguments_exit_2(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_path_exits_2()
    {
        var (code, _, stderr) = Run("validate", "--config", "/nonexistent/bgplb");
        Assert.Equal(2, code);
        Assert.Equal("error: /nonexistent/bgplb: no such file or folder\ninvalid: 1 error(s) in /nonexistent/bgplb\n", stderr);
    }
}
