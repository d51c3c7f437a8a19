using BgpLb.Daemon.EndToEnd.Tests.Lab;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>What <c>bgplb run</c> does with a configuration it cannot run.</summary>
[Trait("Category", "EndToEnd")]
public sealed class StartupTests
{
    [Fact]
    public void An_invalid_config_at_start_exits_2_with_the_error_naming_file_object_and_field_on_stderr()
    {
        // In a namespace like every run (nothing of it may touch this machine's own network), without a router.
        using var lab = new EndToEndLab("invalid");
        lab.WriteConfig(new DaemonConfig { Router = RouterSetup.Ebgp, Services = [new("web"), new("api", "198.18.0.300")] }.ToString());
        using var daemon = lab.StartDaemon();
        var code = daemon.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(code is not null, $"the daemon runs on an invalid config\n{daemon.Output()}");
        Assert.True(code == 2, $"exit code {code}, expected 2\n{daemon.Output()}");
        var error = daemon.Stderr.FirstOrDefault(l => l.Contains("spec.loadBalancerIP", StringComparison.Ordinal));
        Assert.True(error is not null, $"no error about spec.loadBalancerIP on stderr\n{daemon.Output()}");
        Assert.Contains(Path.GetFileName(lab.ConfigPath), error, StringComparison.Ordinal);
        Assert.Contains("Service default/api", error, StringComparison.Ordinal);
        Assert.Contains("\"198.18.0.300\" is not an IP address", error, StringComparison.Ordinal);
    }
}
