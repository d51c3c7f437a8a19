using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// The admin tests' lab: namespaces under their own prefix, BIRD over iBGP (so LOCAL_PREF is on the
/// wire), and <c>bgplb run</c> with two VIPs. Disposed in reverse order of creation, in all outcomes.
/// </summary>
internal sealed class AdminLab : IDisposable
{
    public const string Prefix = "bgplba";

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static readonly string[] TwoVips = ["198.18.0.1/32", "198.18.0.2/32"];

    private AdminLab(EndToEndLab lab, BirdRouter router)
    {
        Lab = lab;
        Router = router;
    }

    public EndToEndLab Lab { get; }

    public BirdRouter Router { get; }

    /// <summary>The first daemon, started with the lab.</summary>
    public DaemonProcess Daemon { get; private set; } = null!;

    /// <summary>Starts BIRD and the daemon (with <paramref name="daemonArguments"/>) and waits (bounded) until BIRD holds both VIPs and the admin socket answers.</summary>
    public static AdminLab Start(string name, params string[] daemonArguments)
    {
        var lab = new EndToEndLab(name, Prefix);
        var router = new BirdRouter(lab, RouterSetup.Ibgp);
        var admin = new AdminLab(lab, router);
        try
        {
            router.Start();
            lab.WriteConfig(Config().ToString());
            admin.Daemon = lab.StartDaemon(daemonArguments);
            router.AssertHolds(TwoVips, admin.Daemon, Bound, "after start");
            AwaitSocket(lab, admin.Daemon);
            return admin;
        }
        catch
        {
            admin.Dispose();
            throw;
        }
    }

    public static DaemonConfig Config(params ServiceSpec[] services) => new()
    {
        Router = RouterSetup.Ibgp,
        Communities = ["65000:100"],
        LocalPref = 250,
        Services = services.Length == 0 ? [new("web"), new("dns")] : services,
    };

    /// <summary>Waits (bounded) until the daemon's admin socket exists.</summary>
    public static void AwaitSocket(EndToEndLab lab, DaemonProcess daemon) =>
        Assert.True(NetnsLab.WaitUntil(() => File.Exists(lab.AdminSocket) || daemon.HasExited, Bound) && File.Exists(lab.AdminSocket),
            $"no admin socket at {lab.AdminSocket}\n{daemon.Output()}");

    /// <summary>The one BGP peer's name as the daemon reports it.</summary>
    public string PeerName() => CtlProcess.Json(Lab, "peers").GetProperty("peers")[0].GetProperty("name").GetString()!;

    public void Dispose()
    {
        Daemon?.Dispose();
        Router.Dispose();
        Lab.Dispose();
    }
}
