using System.Diagnostics;
using System.Text;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// <c>dotnet bgplb.dll speaker</c> as a real process in a node's network namespace (<c>ip netns exec</c> execs,
/// so signals reach the speaker itself), as the bgplb-speaker ServiceAccount; its output is kept for failure messages.
/// </summary>
public sealed class SpeakerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    public SpeakerProcess(string netns, string node, string kubeconfig, string ns, string loadBalancerClass, string dir)
    {
        Node = node;
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "netns", "exec", netns, "dotnet", Path.Combine(AppContext.BaseDirectory, "bgplb.dll"), "speaker",
            "--node", node, "--kubeconfig", kubeconfig, "--namespace", ns, "--load-balancer-class", loadBalancerClass,
            "--admin-socket", Path.Combine(dir, node + ".sock"), "--metrics-address", "", "--bgp-port", "0", "--drain-file", Path.Combine(dir, node + ".drain"),
        })
        {
            info.ArgumentList.Add(argument);
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Node { get; }

    public bool HasExited => _process.HasExited;

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

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
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
