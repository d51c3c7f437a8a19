using System.Diagnostics;
using k8s;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// A real kube-apiserver and etcd on loopback for the tests of one assembly run, started once
/// (about 5 s) and stopped at the end. The tests find the start script through
/// <see cref="ScriptVariable"/>: any script with the interface of the team's
/// <c>apiserver.sh start|stop DIR</c> (start prints the kubeconfig path) works, so the suite runs
/// wherever envtest-style binaries exist. A missing or failing script fails every test that uses
/// this fixture, loudly: cluster mode is never "skipped".
/// </summary>
public sealed class ApiServer : IAsyncLifetime
{
    /// <summary>The environment variable naming the start/stop script (test.sh sets it).</summary>
    public const string ScriptVariable = "BGPLB_TEST_APISERVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private string? _dir;

    /// <summary>The kubeconfig of the server's admin (system:masters).</summary>
    public string KubeconfigPath { get; private set; } = "";

    /// <summary>The folder the script keeps its state, certificates and logs in.</summary>
    public string Dir => _dir ?? throw new InvalidOperationException("the API server is not started");

    public async Task InitializeAsync()
    {
        var script = Environment.GetEnvironmentVariable(ScriptVariable);
        if (string.IsNullOrEmpty(script) || !File.Exists(script))
        {
            throw new InvalidOperationException(
                $"{ScriptVariable} must name a script that starts a kube-apiserver ('SCRIPT start DIR' prints a kubeconfig path, " +
                $"'SCRIPT stop DIR' stops it); it is '{script}'. ./test.sh points it at tests/Kubernetes.Tests/apiserver.sh.");
        }
        _dir = Directory.CreateTempSubdirectory(DirPrefix).FullName;
        await StartAsync();
    }

    /// <summary>The prefix of the server's folder under /tmp (a test's own server takes its own).</summary>
    public string DirPrefix { get; init; } = "bgplbk-apiserver-";

    /// <summary>Stops the server and its etcd (their data stays in <see cref="Dir"/>): the API server is away until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        var (code, stdout, stderr) = await RunAsync(Script, $"stop {Dir}", TimeSpan.FromSeconds(30));
        if (code != 0)
        {
            throw new InvalidOperationException($"'{Script} stop {Dir}' exited {code}:\n{stdout}\n{stderr}");
        }
    }

    /// <summary>(Re)starts the server on the data of <see cref="Dir"/>; it may listen on another port, which <see cref="KubeconfigPath"/> then names.</summary>
    public async Task StartAsync()
    {
        var script = Script;
        var (code, stdout, stderr) = await RunAsync(script, $"start {_dir}", StartTimeout);
        var path = stdout.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
        if (code != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"'{script} start {_dir}' exited {code} without a kubeconfig:\n{stdout}\n{stderr}\n{ReadLog("apiserver.log")}");
        }
        KubeconfigPath = path;
    }

    private static string Script => Environment.GetEnvironmentVariable(ScriptVariable)!;

    /// <summary>The API server's port as the kubeconfig names it (a restart may change it).</summary>
    public int Port => new Uri(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath).Host).Port;

    /// <summary>A client with the admin's rights (installs CRDs and RBAC, plays the cluster).</summary>
    public k8s.Kubernetes AdminClient() =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    public async Task DisposeAsync()
    {
        if (_dir is null)
        {
            return;
        }
        var script = Environment.GetEnvironmentVariable(ScriptVariable)!;
        await RunAsync(script, $"stop {_dir}", TimeSpan.FromSeconds(30));
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // etcd may still be flushing its last file; the folder is under /tmp and named for us.
        }
    }

    private string ReadLog(string name)
    {
        var path = Path.Combine(Dir, name);
        if (!File.Exists(path))
        {
            return $"(no {path})";
        }
        var lines = File.ReadAllLines(path);
        return string.Join('\n', lines.TakeLast(40));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string script, string arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("/bin/bash", $"{script} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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
            return (-1, await stdout, $"timed out after {timeout.TotalSeconds} s\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Every test class that needs the API server joins this collection: one server per run.</summary>
[CollectionDefinition(Name)]
public sealed class ApiServerGroup : ICollectionFixture<ApiServer>
{
    public const string Name = "API server";
}
