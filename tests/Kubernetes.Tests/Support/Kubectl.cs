using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>The outcome of one kubectl run.</summary>
public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";
}

/// <summary>
/// kubectl against the test's API server, for what it does best: applying the YAML of <c>deploy/</c> and of
/// test objects as a user would, with the server's own error messages on standard error.
/// </summary>
public static class Kubectl
{
    private const string Binary = "kubectl";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs kubectl with <paramref name="arguments"/>, feeding <paramref name="stdin"/> when given (for <c>-f -</c>).</summary>
    public static async Task<KubectlResult> RunAsync(ApiServer server, string? stdin, params string[] arguments)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--kubeconfig");
        info.ArgumentList.Add(server.KubeconfigPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                "kubectl is needed by the Kubernetes tests and was not found on PATH: install it " +
                "(https://kubernetes.io/docs/tasks/tools/, any version that talks to a v1.24 server)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl {string.Join(' ', arguments)} did not finish in {Timeout.TotalSeconds} s");
            }
            return new KubectlResult(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Like <see cref="RunAsync"/>, failing the test with kubectl's output when it does not succeed.</summary>
    public static async Task<string> MustRunAsync(ApiServer server, string? stdin, params string[] arguments)
    {
        var result = await RunAsync(server, stdin, arguments);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} failed: {result}");
        }
        return result.Stdout;
    }

    /// <summary>Creates a namespace named <paramref name="prefix"/> plus a random suffix, so that test runs never share one.</summary>
    public static async Task<string> CreateNamespaceAsync(ApiServer server, string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
        await MustRunAsync(server, null, "create", "namespace", name);
        return name;
    }

    /// <summary>The objects of kubectl's <c>-o json</c>: one value per object created, one after the other (or a List).</summary>
    public static List<JsonNode> Objects(string json)
    {
        var result = new List<JsonNode>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            var node = JsonNode.Parse(ref reader)!;
            if (node["items"] is JsonArray items)
            {
                result.AddRange(items.Select(i => i!));
            }
            else
            {
                result.Add(node);
            }
        }
        return result;
    }
}
