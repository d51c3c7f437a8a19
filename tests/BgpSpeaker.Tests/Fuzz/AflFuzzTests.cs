using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Fuzz;

/// <summary>
/// A short coverage-guided campaign against the decoder (fuzz/run.sh: SharpFuzz + AFL++), so that
/// the fuzz target, its instrumentation and the AFL setup keep working, and shallow crashes are
/// caught by every test run. Long campaigns: docs/fuzzing.md.
/// </summary>
public sealed class AflFuzzTests(ITestOutputHelper output)
{
    private const int FuzzSeconds = 60;

    /// <summary>Fuzzing plus a Release build and instrumentation; a cold build takes about a minute.</summary>
    private static readonly TimeSpan WholeRunTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Far below what one core does in a minute (thousands per second), far above a broken loop.</summary>
    private const long MinimumExecutions = 1000;

    [Fact]
    public async Task Afl_fuzzing_the_decoder_for_60_seconds_saves_no_crash()
    {
        // Fail, not skip: a missing fuzzer must not pass as "no crash" (test.sh installs afl++).
        Assert.True(IsOnPath("afl-fuzz"), "afl-fuzz is not installed: apt-get install afl++ (test.sh does this when run as root).");

        var root = FindRepositoryRoot();
        var (exitCode, log) = await RunAsync(Path.Combine(root, "fuzz", "run.sh"), FuzzSeconds.ToString(CultureInfo.InvariantCulture), root);
        output.WriteLine(log);

        Assert.True(exitCode == 0, $"fuzz/run.sh exited {exitCode} (1: a crash was saved, see tests/BgpSpeaker.Tests/Vectors/malformed/; 2: setup failed):\n{log}");
        var executions = SummaryValue(log, "execs_done");
        Assert.True(executions > MinimumExecutions, $"only {executions} executions in {FuzzSeconds} s:\n{log}");
        Assert.Equal(0, SummaryValue(log, "saved_crashes"));
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string script, string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(arguments);
        // The test host runs inside `dotnet test`; MSBuild's variables from that run would steer
        // the script's own `dotnet build` to the wrong SDK pieces.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        var log = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(WholeRunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"fuzz/run.sh did not finish within {WholeRunTimeout}:\n{Snapshot(log)}");
        }
        return (process.ExitCode, Snapshot(log));
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    /// <summary>A number from run.sh's summary ("execs_done       : 748039").</summary>
    private static long SummaryValue(string log, string key)
    {
        foreach (var line in log.Split('\n'))
        {
            var parts = line.Split(':', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        Assert.Fail($"run.sh printed no {key}:\n{log}");
        return 0;
    }

    private static bool IsOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, program)));

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BgpLb.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No BgpLb.sln above {AppContext.BaseDirectory}.");
    }
}
