using System.Diagnostics;
using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// <c>bgplb run</c> as a real process in a network namespace: <c>ip netns exec NS dotnet bgplb.dll run ...</c>
/// (<c>ip netns exec</c> execs, so the process is the daemon itself and signals reach it). Every
/// line of stdout and stderr is kept; <c>--log-format json</c> makes stdout one event per line.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();

    private DaemonProcess(Process process) => _process = process;

    /// <summary>bgplb.dll as the ProjectReference put it next to the tests.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "bgplb.dll");

    /// <summary>Starts <c>bgplb run</c> with <paramref name="runArguments"/> and JSON logs in <paramref name="netns"/>.</summary>
    public static DaemonProcess Start(string netns, IEnumerable<string> runArguments)
    {
        Require.Binaries("the .NET SDK", "dotnet");
        Assert.True(File.Exists(Dll), $"{Dll} is missing: the ProjectReference to src/Daemon should have put it there");
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["netns", "exec", netns, "dotnet", Dll, "run", "--log-format", "json", .. runArguments])
        {
            info.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = info };
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => daemon.Add(daemon._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Add(daemon._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            lines.Add(line);
        }
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The daemon's BFD worker (<c>bgplb bfd-worker</c>, its only child process), or null while it has none.</summary>
    public int? WorkerPid()
    {
        var children = NetnsLab.Run($"pgrep -P {Pid}").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return children.Length == 1 ? int.Parse(children[0], System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public IReadOnlyList<string> Stdout
    {
        get
        {
            lock (_lock)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_lock)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>The <c>event</c> of every JSON log line so far, in order (lines that are not JSON objects are left out).</summary>
    public IReadOnlyList<string> Events() => Stdout.Select(EventOf).OfType<string>().ToList();

    /// <summary>The <c>message</c> of every JSON log line, and every other line of stdout and stderr as it is.</summary>
    public IReadOnlyList<string> Messages() => Stdout.Select(l => FieldOf(l, "message") ?? l).Concat(Stderr).ToList();

    private static string? EventOf(string line) => FieldOf(line, "event");

    private static string? FieldOf(string line, string name)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The log lines whose event is <paramref name="name"/>.</summary>
    public IReadOnlyList<string> LinesOf(string name) => Stdout.Where(l => EventOf(l) == name).ToList();

    /// <summary>Waits (bounded) until the daemon has logged <paramref name="name"/> more than <paramref name="seenBefore"/> times.</summary>
    public void AssertEvent(string name, TimeSpan timeout, int seenBefore = 0) =>
        Assert.True(NetnsLab.WaitUntil(() => LinesOf(name).Count > seenBefore || _process.HasExited, timeout) && LinesOf(name).Count > seenBefore,
            $"the daemon did not log {name} within {timeout.TotalSeconds} s{(HasExited ? $" (it exited with code {_process.ExitCode})" : "")}\n{Output()}");

    /// <summary>A crash: SIGKILL, no NOTIFICATION, the kernel closes the sessions; waits until the process is gone.</summary>
    public void Kill()
    {
        NetnsLab.Sh($"kill -KILL {Pid}");
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(10)), $"the daemon (PID {Pid}) survived SIGKILL");
    }

    /// <summary>SIGTERM; the exit code, or null when the daemon still runs after <paramref name="timeout"/>.</summary>
    public int? Terminate(TimeSpan timeout)
    {
        NetnsLab.Sh($"kill -TERM {Pid}");
        return WaitForExit(timeout);
    }

    /// <summary>The exit code once the process ended (output read to its end), or null after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>Everything the daemon wrote, for failure messages.</summary>
    public string Output() => $"--- bgplb stdout ---\n{string.Join('\n', Stdout)}\n--- bgplb stderr ---\n{string.Join('\n', Stderr)}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}
