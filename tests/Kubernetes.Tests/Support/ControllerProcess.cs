using System.Globalization;
using System.Text.RegularExpressions;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// <c>dotnet bgplb.dll controller</c> as a real process against the test's API server (as the kubeconfig's user), with short Lease
/// times so failover fits a test; its output is kept for assertions and for the failure message.
/// </summary>
public sealed partial class ControllerProcess : CapturedProcess
{
    /// <summary>The Lease times the tests run with (seconds): a dead leader is replaced within LeaseDuration + RetryPeriod.</summary>
    public const double LeaseDuration = 4;
    public const double RenewDeadline = 3;
    public const double RetryPeriod = 1;

    public ControllerProcess(string kubeconfig, string ns, string loadBalancerClass, string identity)
        : base(Executable.File, [.. Executable.Arguments,
            "controller",
            "--kubeconfig", kubeconfig, "--namespace", ns, "--load-balancer-class", loadBalancerClass, "--identity", identity,
            "--lease-duration", Seconds(LeaseDuration), "--renew-deadline", Seconds(RenewDeadline), "--retry-period", Seconds(RetryPeriod),
            "--admin-socket", "", "--metrics-address", "",
        ]) => Identity = identity;

    /// <summary>
    /// <c>dotnet bgplb.dll</c>, or the executable named by <c>BGPLB_CONTROLLER_BINARY</c>: bench/k8s/controller-scale.sh
    /// sets it to the Native AOT build, which operators run (its start costs milliseconds, the JIT's seconds).
    /// </summary>
    private static (string File, string[] Arguments) Executable =>
        Environment.GetEnvironmentVariable("BGPLB_CONTROLLER_BINARY") is { Length: > 0 } binary
            ? (File.Exists(binary) ? binary : throw new FileNotFoundException($"BGPLB_CONTROLLER_BINARY={binary}: no such file (dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true)"), [])
            : ("dotnet", [Path.Combine(AppContext.BaseDirectory, "bgplb.dll")]);

    public string Identity { get; }

    /// <summary>Whether this replica logged that it leads (since its start).</summary>
    public bool Leads => Output.Contains($"controller {Identity} is the leader", StringComparison.Ordinal);

    /// <summary>Status writes this process reported (the sum of its passes' counts).</summary>
    public int StatusWrites => WritesPattern().Matches(Output).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    /// <summary>Passes this process logged (one after each restore, and one after each change that wrote or allocated).</summary>
    public int Passes => WritesPattern().Count(Output);

    /// <summary>The last pass's log line.</summary>
    public string LastPass => PassPattern().Matches(Output) is { Count: > 0 } all ? all[^1].Value : "(none)";

    /// <summary>The addresses restored at its last term's start, as it logged them.</summary>
    public int? Restored => RestoredPattern().Matches(Output) is { Count: > 0 } all ? int.Parse(all[^1].Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public int Stop()
    {
        if (!Process.HasExited)
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit(10_000);
        }
        if (!Process.WaitForExit(20_000))
        {
            Process.Kill();
            Assert.Fail($"controller {Identity} did not stop within 20 s of SIGTERM:\n{Output}");
        }
        return Process.ExitCode;
    }

    private static string Seconds(double value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"allocation changes, (\d+) status writes")]
    private static partial Regex WritesPattern();

    [GeneratedRegex(@"pass: [^\n]*")]
    private static partial Regex PassPattern();

    [GeneratedRegex(@"restored (\d+) Services' addresses")]
    private static partial Regex RestoredPattern();
}
