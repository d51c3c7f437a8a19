using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>What the end-to-end tests need from the machine; a missing piece fails the test with what to install (never a skip).</summary>
internal static class Require
{
    public static void Root() =>
        Assert.True(Environment.UserName == "root" || NetnsLab.Run("id -u").Output.Trim() == "0",
            "the end-to-end tests create network namespaces: run them as root (./test.sh)");

    public static void Binaries(string package, params string[] binaries)
    {
        foreach (var binary in binaries)
        {
            Assert.True(NetnsLab.Run($"command -v {binary}").Code == 0,
                $"{binary} is not installed: run ./test.sh as root, it installs the {package} package");
        }
    }
}
