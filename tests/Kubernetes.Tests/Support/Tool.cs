using System.Diagnostics;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>The outcome of one run of a command-line tool (kubectl, helm).</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";
}

/// <summary>Runs kubectl or helm against the test's API server (both take <c>--kubeconfig</c>), bounded in time.</summary>
public static class Tool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Runs <paramref name="binary"/> with <c>--kubeconfig</c> of <paramref name="server"/> and <paramref name="arguments"/>,
    /// feeding <paramref name="stdin"/> when given (for <c>-f -</c>); a binary not on PATH fails with <paramref name="install"/>.
    /// </summary>
    public static async Task<ToolResult> RunAsync(string binary, string install, ApiServer server, string? stdin, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(binary)
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
            throw new InvalidOperationException($"{binary} is needed by the Kubernetes tests and was not found on PATH: {install}", e);
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
                throw new TimeoutException($"{binary} {string.Join(' ', arguments)} did not finish in {Timeout.TotalSeconds} s");
            }
            return new ToolResult(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Like <see cref="RunAsync"/>, failing the test with the tool's output when it does not succeed.</summary>
    public static async Task<string> MustRunAsync(string binary, string install, ApiServer server, string? stdin, IReadOnlyList<string> arguments)
    {
        var result = await RunAsync(binary, install, server, stdin, arguments);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{binary} {string.Join(' ', arguments)} failed: {result}");
        }
        return result.Stdout;
    }
}
