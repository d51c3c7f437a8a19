namespace BgpLb.Daemon.Tests;

/// <summary><c>bgplb controller</c>'s arguments, checked before any connection to a cluster.</summary>
public class ControllerCommandTests
{
    [Fact]
    public void The_lease_timing_defaults_are_accepted_so_a_bad_kubeconfig_is_what_is_reported()
    {
        // The manifest gives no Lease timing: the defaults (15, 10, 2 s) must pass the ordering check.
        var (code, _, stderr) = ValidateCommandTests.Run("controller", "--kubeconfig", "/nonexistent/kubeconfig", "--admin-socket", "", "--metrics-address", "");
        Assert.Equal(2, code);
        Assert.StartsWith("error: --kubeconfig /nonexistent/kubeconfig: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_period_not_below_the_renew_deadline_exits_2_naming_the_rule()
    {
        var (code, _, stderr) = ValidateCommandTests.Run("controller", "--kubeconfig", "/nonexistent/kubeconfig", "--retry-period", "12");
        Assert.Equal(2, code);
        Assert.Equal("error: --retry-period < --renew-deadline < --lease-duration is required (a leader must renew before its Lease runs out)\n", stderr);
    }
}
