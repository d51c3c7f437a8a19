using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using BgpLb.Kubernetes.Tests.Cluster;
using BgpLb.Kubernetes.Tests.Support;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace BgpLb.Kubernetes.Tests;

/// <summary>
/// The container image of <c>deploy/image/build.sh</c>: a docker-archive whose digests are right, and whose one
/// layer is enough to run: its root filesystem, entered with chroot as the Deployment's user 65534, runs
/// <c>bgplbctl</c> and <c>bgplb controller</c> with the manifest's arguments only (every other option at its
/// default), and that controller allocates through the real API server over TLS with the image's own OpenSSL.
/// </summary>
/// <remarks>
/// In no collection, so xUnit runs it beside the <see cref="ApiServerGroup"/> classes: its minutes go to two Native
/// AOT publishes, which run at the lowest CPU priority (nice 19) and so take only the time those classes leave idle
/// (they mostly wait on timers, servers and peers) without slowing their timed steps. It starts its own API server
/// once the image is built.
/// </remarks>
public sealed class ImageTests(ITestOutputHelper output)
{
    /// <summary>
    /// Two Native AOT publishes take about 4 minutes of a quiet 2-core machine; at nice 19 they wait for whatever else
    /// runs (other test classes, or other work on a shared machine), so the bound only catches a build that hangs.
    /// </summary>
    private static readonly TimeSpan BuildBound = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly string[] PoolAddresses = ["198.18.7.0/29"];

    [Fact]
    public async Task The_image_runs_bgplbctl_and_the_controller_as_nobody_from_its_own_layer_against_the_api_server()
    {
        Assert.True(Environment.UserName == "root", "building and entering the image's root filesystem (chroot) needs root");
        var dir = Directory.CreateTempSubdirectory("bgplbk-image-").FullName;
        ImageProcess? controller = null;
        var server = new ApiServer { DirPrefix = "bgplbk-image-apiserver-" };
        k8s.Kubernetes? admin = null;
        var ns = Names.Namespace("image");
        try
        {
            var archive = Path.Combine(dir, "bgplb-image.tar");
            var build = await RunAsync("nice", ["-n", "19", Path.Combine(Deploy.Root, "deploy", "image", "build.sh"), "-t", "bgplb:test", "-o", archive], BuildBound);
            Assert.True(build.Code == 0, $"build.sh: {build}");
            var rootfs = await UnpackAsync(archive, dir);

            var help = await RunAsync("chroot", ["--userspec=65534:65534", rootfs, "/usr/local/bin/bgplbctl", "--help"], Bound);
            Assert.True(help.Code == 0 && help.Output.Contains("bgplbctl", StringComparison.Ordinal), help.ToString());

            await server.InitializeAsync();
            admin = server.AdminClient();
            await Deploy.InstallCrdsAsync(server);
            await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
            await admin.CustomObjects.CreateNamespacedCustomObjectAsync(
                new Dictionary<string, object>
                {
                    ["apiVersion"] = "bgplb.io/v1beta1",
                    ["kind"] = "IPAddressPool",
                    ["metadata"] = new Dictionary<string, object> { ["name"] = "pool" },
                    ["spec"] = new Dictionary<string, object> { ["addresses"] = PoolAddresses },
                },
                "bgplb.io", "v1beta1", ns, "ipaddresspools");
            var service = ResourceWatchTests.Service("web");
            service.Spec.LoadBalancerClass = "bgplbk.example/" + ns;
            await admin.CoreV1.CreateNamespacedServiceAsync(service, ns);
            // As the bgplb-controller ServiceAccount; the kubeconfig carries its CA, so it works inside the root filesystem.
            var kubeconfig = await ServiceAccounts.ControllerKubeconfigAsync(server, admin, ns);
            File.Copy(kubeconfig, Path.Combine(rootfs, "tmp", "kubeconfig"));
            Assert.Equal(0, (await RunAsync("chmod", ["0644", Path.Combine(rootfs, "tmp", "kubeconfig")], Bound)).Code); // readable by user 65534

            // The Deployment's arguments, and no Lease timing: the defaults must be accepted as they are.
            controller = new ImageProcess("chroot", ["--userspec=65534:65534", rootfs, "/usr/local/bin/bgplb", "controller", "--kubeconfig", "/tmp/kubeconfig",
                "--namespace", ns, "--load-balancer-class", "bgplbk.example/" + ns, "--admin-socket", "/tmp/admin.sock", "--metrics-address", ""]);
            string? ip = null;
            await Eventually.True(async () =>
            {
                ip = (await admin.CoreV1.ReadNamespacedServiceAsync("web", ns)).Status?.LoadBalancer?.Ingress?.FirstOrDefault()?.Ip;
                return ip is not null || controller.HasExited;
            }, Bound, "an IP in the Service's status from the image's controller");
            if (ip is null)
            {
                Assert.Fail($"the image's controller exited with {controller.ExitCode}:\n{controller.Output}"); // only read once it has exited
            }
            Assert.StartsWith("198.18.7.", ip, StringComparison.Ordinal);

            await RunAsync("kill", ["-TERM", controller.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], Bound);
            Assert.True(controller.WaitForExit(TimeSpan.FromSeconds(20)), $"the image's controller did not stop on SIGTERM:\n{controller.Output}");
            Assert.Equal(0, controller.ExitCode);
            output.WriteLine(controller.Output);
        }
        finally
        {
            controller?.Dispose(); // kills it if it still runs
            admin?.Dispose();
            await server.DisposeAsync(); // stops it if it was started
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Checks the archive's manifest and digests, then unpacks its one layer; returns the root filesystem's path.</summary>
    private async Task<string> UnpackAsync(string archive, string dir)
    {
        var image = Directory.CreateDirectory(Path.Combine(dir, "image")).FullName;
        Assert.Equal(0, (await RunAsync("tar", ["-xf", archive, "-C", image], Bound)).Code);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(image, "manifest.json")));
        var entry = Assert.Single(manifest.RootElement.EnumerateArray().ToArray());
        Assert.Equal(["bgplb:test"], entry.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        var configName = entry.GetProperty("Config").GetString()!;
        var configPath = Path.Combine(image, configName);
        // The image id is the config's digest, and the config names the layer by the digest of its tar (diff_id).
        Assert.Equal(configName, Sha256(configPath) + ".json");
        var layer = Path.Combine(image, Assert.Single(entry.GetProperty("Layers").EnumerateArray().ToArray()).GetString()!);
        using var config = JsonDocument.Parse(File.ReadAllText(configPath));
        Assert.Equal("sha256:" + Sha256(layer), Assert.Single(config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().ToArray()).GetString());
        Assert.Equal(["/usr/local/bin/bgplb"], config.RootElement.GetProperty("config").GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("amd64", config.RootElement.GetProperty("architecture").GetString());
        var rootfs = Directory.CreateDirectory(Path.Combine(dir, "rootfs")).FullName;
        Assert.Equal(0, (await RunAsync("tar", ["-xf", layer, "-C", rootfs], Bound)).Code);
        // What every container runtime adds to an image's root (the OCI runtime spec's default devices):
        // .NET reads /dev/urandom (Guid.NewGuid and the TLS stack need it; seen failing without it).
        Directory.CreateDirectory(Path.Combine(rootfs, "dev"));
        foreach (var (name, minor) in new[] { ("null", "3"), ("zero", "5"), ("random", "8"), ("urandom", "9") })
        {
            Assert.Equal(0, (await RunAsync("mknod", ["-m", "666", Path.Combine(rootfs, "dev", name), "c", "1", minor], Bound)).Code);
        }
        output.WriteLine((await RunAsync("find", [rootfs, "-type", "f"], Bound)).Output);
        return rootfs;
    }

    private static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>The image's controller, its output kept (<see cref="CapturedProcess"/>), with what this test reads of its end.</summary>
    private sealed class ImageProcess(string file, IEnumerable<string> arguments) : CapturedProcess(file, arguments)
    {
        public int ExitCode => Process.ExitCode;

        public bool WaitForExit(TimeSpan timeout) => Process.WaitForExit(timeout);
    }

    /// <summary>
    /// Runs a process to its end (killed with its children after <paramref name="timeout"/>). Awaited, not waited
    /// for: the build takes minutes, and a blocked thread would be one of the few xUnit runs the other classes on.
    /// </summary>
    private static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return new ProcessResult(-1, await stdout, await stderr + $"\n(killed after {timeout})");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private sealed record ProcessResult(int Code, string Output, string Error)
    {
        public override string ToString() => $"exit {Code}\n{Output}\n{Error}";
    }
}
