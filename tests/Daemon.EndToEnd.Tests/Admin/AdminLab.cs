using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>The admin tests' lab: namespaces under their own prefix, BIRD over iBGP (so LOCAL_PREF is on the wire), a daemon with two VIPs.</summary>
internal static class AdminLab
{
    public const string Prefix = "bgplba";

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static readonly string[] TwoVips = ["198.18.0.1/32", "198.18.0.2/32"];

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
    public static string PeerName(EndToEndLab lab) => CtlProcess.Json(lab, "peers").GetProperty("peers")[0].GetProperty("name").GetString()!;
}
