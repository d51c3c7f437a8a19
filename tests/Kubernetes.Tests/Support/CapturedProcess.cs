using System.Diagnostics;
using System.Text;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>A process of ours (controller, speaker) whose stdout and stderr are kept, for assertions and for failure messages.</summary>
public abstract class CapturedProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    protected CapturedProcess(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process = Process.Start(info)!;
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    protected Process Process { get; }

    public bool HasExited => Process.HasExited;

    /// <summary>The process id (its <c>/proc/ID/status</c> has the memory figures).</summary>
    public int Id => Process.Id;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>SIGKILL, and waits (bounded) for the exit.</summary>
    public void Kill()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return; // the test's using and its lab both dispose
        }
        _disposed = true;
        Kill();
        Process.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.AppendLine(line);
        }
    }
}
