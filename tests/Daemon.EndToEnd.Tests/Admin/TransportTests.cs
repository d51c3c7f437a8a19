using System.Globalization;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// Who can reach the admin API: on the unix socket only the daemon's user (mode 0600, in a folder
/// of mode 0700); on TCP only with TLS, and with client certificates, unless plaintext or
/// certificate-less TLS is asked for explicitly on a loopback address.
/// </summary>
[Trait("Category", "EndToEnd")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TransportTests(ITestOutputHelper output)
{
    private const string DefaultSocket = "/run/bgplb/admin.sock";
    private static readonly string[] AsNobody = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"];

    [Fact]
    public void A_non_root_user_cannot_reach_the_default_socket_nor_one_in_an_open_folder()
    {
        Require.Binaries("util-linux", "setpriv");
        using var lab = new EndToEndLab("sock", AdminLab.Prefix);
        lab.WriteConfig(AdminLab.Config().ToString());
        using var daemon = lab.StartDaemon("--admin-socket", DefaultSocket, "--bgp-port", "0");
        try
        {
            Assert.True(NetnsLab.WaitUntil(() => File.Exists(DefaultSocket) && CtlProcess.Run(["--socket", DefaultSocket, "pools"]).Code == 0, AdminLab.Bound),
                $"the daemon does not answer on {DefaultSocket}\n{daemon.Output()}");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DefaultSocket));
            var denied = CtlProcess.Run(["--socket", DefaultSocket, "pools"], AsNobody);
            Assert.True(denied.Code == 1, $"nobody reached the admin socket\n{denied}");
            Assert.Contains("Permission denied", denied.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }

        // The socket's own mode is the guard, not only its folder: open every folder on the way.
        daemon.Terminate(TimeSpan.FromSeconds(15));
        using var second = lab.StartDaemon("--bgp-port", "0");
        try
        {
            AdminLab.AwaitSocket(lab, second);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(lab.AdminSocket)!));
            NetnsLab.Sh($"chmod 0755 {lab.Dir} {Path.GetDirectoryName(lab.AdminSocket)}");
            var denied = CtlProcess.Run(["--socket", lab.AdminSocket, "pools"], AsNobody);
            Assert.True(denied.Code == 1, $"nobody reached the admin socket\n{denied}");
            Assert.Contains("Permission denied", denied.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, CtlProcess.At(lab, "pools").Code);
        }
        finally
        {
            output.WriteLine(second.Output());
        }
    }

    [Theory]
    // No TLS at all: refused, naming the two ways out.
    [InlineData("127.0.0.1", new string[0], "TCP needs TLS")]
    // Plaintext asked for, but not on loopback.
    [InlineData(EndToEndLab.NodeAddress, new[] { "--admin-insecure" }, "loopback address only")]
    // TLS without client certificates, not on loopback.
    [InlineData(EndToEndLab.NodeAddress, new[] { "--admin-tls-cert", "x.pem", "--admin-tls-key", "x.key", "--admin-no-client-cert" }, "loopback address only")]
    // TLS without a CA for client certificates.
    [InlineData(EndToEndLab.NodeAddress, new[] { "--admin-tls-cert", "x.pem", "--admin-tls-key", "x.key" }, "--admin-client-ca")]
    public void Tcp_without_tls_or_client_certificates_is_refused_at_start_unless_on_loopback(string address, string[] extra, string expected)
    {
        using var lab = new EndToEndLab("tcpno", AdminLab.Prefix);
        lab.WriteConfig(AdminLab.Config().ToString());
        using var daemon = lab.StartDaemon(["--admin-address", $"{address}:7480", "--bgp-port", "0", .. extra]);
        var code = daemon.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(code == 2, $"expected exit code 2, got {code?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}\n{daemon.Output()}");
        Assert.Contains(daemon.Stderr, l => l.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Plaintext_tcp_is_served_on_loopback_when_asked_and_tls_with_client_certificates_anywhere()
    {
        Require.Binaries("openssl", "openssl");
        using var lab = new EndToEndLab("tcp", AdminLab.Prefix);
        lab.WriteConfig(AdminLab.Config().ToString());
        var pki = Certificates(lab.Dir);
        using var daemon = lab.StartDaemon("--bgp-port", "0", "--admin-address", "127.0.0.1:7480", "--admin-insecure");
        try
        {
            string[] inNode = ["ip", "netns", "exec", lab.NodeNamespace];
            Assert.True(NetnsLab.WaitUntil(() => CtlProcess.Run(["--address", "127.0.0.1:7480", "--insecure", "pools"], inNode).Code == 0 || daemon.HasExited, AdminLab.Bound),
                $"no answer on plaintext loopback TCP\n{CtlProcess.Run(["--address", "127.0.0.1:7480", "--insecure", "pools"], inNode)}\n{daemon.Output()}");
            Assert.False(daemon.HasExited, daemon.Output());
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
        daemon.Terminate(TimeSpan.FromSeconds(15));

        var where = $"{EndToEndLab.NodeAddress}:7481";
        using var tls = lab.StartDaemon("--bgp-port", "0", "--admin-address", where,
            "--admin-tls-cert", pki.ServerCert, "--admin-tls-key", pki.ServerKey, "--admin-client-ca", pki.Ca);
        try
        {
            string[] inNode = ["ip", "netns", "exec", lab.NodeNamespace];
            string[] withCert = ["--address", where, "--ca", pki.Ca, "--cert", pki.ClientCert, "--key", pki.ClientKey, "pools"];
            Assert.True(NetnsLab.WaitUntil(() => CtlProcess.Run(withCert, inNode).Code == 0 || tls.HasExited, AdminLab.Bound),
                $"no answer over TLS with a client certificate\n{CtlProcess.Run(withCert, inNode)}\n{tls.Output()}");
            var noCert = CtlProcess.Run(["--address", where, "--ca", pki.Ca, "pools"], inNode);
            Assert.True(noCert.Code == 1, $"served without a client certificate\n{noCert}");
            var plain = CtlProcess.Run(["--address", where, "--insecure", "pools"], inNode);
            Assert.True(plain.Code == 1, $"served plaintext on the TLS port\n{plain}");
        }
        finally
        {
            output.WriteLine(tls.Output());
        }
    }

    private sealed record Pki(string Ca, string ServerCert, string ServerKey, string ClientCert, string ClientKey);

    /// <summary>A CA, a server certificate for the node's address and a client certificate, made with openssl in <paramref name="dir"/>.</summary>
    private static Pki Certificates(string dir)
    {
        string F(string name) => Path.Combine(dir, name);
        NetnsLab.Sh($"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bgplb-test-ca -keyout {F("ca.key")} -out {F("ca.pem")} 2>&1");
        foreach (var (name, ext) in new[] { ("server", $"subjectAltName=IP:{EndToEndLab.NodeAddress},IP:127.0.0.1\nextendedKeyUsage=serverAuth"), ("client", "extendedKeyUsage=clientAuth") })
        {
            File.WriteAllText(F(name + ".ext"), ext + "\n");
            NetnsLab.Sh($"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bgplb-{name} -keyout {F(name + ".key")} -out {F(name + ".csr")} 2>&1");
            NetnsLab.Sh($"openssl x509 -req -in {F(name + ".csr")} -CA {F("ca.pem")} -CAkey {F("ca.key")} -CAcreateserial -days 1 -extfile {F(name + ".ext")} -out {F(name + ".pem")} 2>&1");
        }
        return new Pki(F("ca.pem"), F("server.pem"), F("server.key"), F("client.pem"), F("client.key"));
    }
}
