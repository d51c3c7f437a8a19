using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Two network namespaces joined by one veth pair: "host" (where our sockets live, opened through
/// <see cref="CreateSocket"/>) and "peer" (the router). Addresses from 203.0.113.0/24 and
/// 2001:db8:1::/64 (and fixed link-local addresses) only; nothing is added to the test process's own namespace, whose uplink may
/// itself sit in documentation space. Removed in all outcomes (stale ones of an earlier crash
/// first). Needs root and iproute2: without them it fails, it does not skip. Also compiled into
/// BfdSession.Tests, whose labs use their own <paramref name="prefix"/>, and into L2Fallback.Tests
/// for its shell helpers and <see cref="InNamespace"/>; the resilience tests' lab is built on it.
/// </summary>
internal sealed class NetnsLab : IDisposable
{
    private const string DefaultPrefix = "bgplbt";

    /// <param name="name">The lab's name, unique among the tests of one prefix.</param>
    /// <param name="prefix">Namespace name prefix: test classes run in parallel with other suites use their own, so that removing stale labs never touches another's.</param>
    public NetnsLab(string name, string prefix = DefaultPrefix)
    {
        RemoveStale(prefix, name);
        Namespace = $"{prefix}-{name}-peer";
        HostNamespace = $"{prefix}-{name}-host";
        Sh($"ip netns add {Namespace}");
        Sh($"ip netns add {HostNamespace}");
        Sh($"ip -n {HostNamespace} link add h0 type veth peer name p0 netns {Namespace}");
        // Fixed link-local addresses, usable at once (nodad), instead of generated ones that are
        // tentative for a second: tests assert the link-local next hop by value (RFC 2545 §3).
        Host("ip link set h0 addrgenmode none");
        Host($"ip addr add {HostV4}/24 dev h0");
        Host($"ip -6 addr add {HostV6}/64 dev h0 nodad");
        Host($"ip -6 addr add {HostLinkLocal}/64 dev h0 nodad");
        Host("ip link set h0 up");
        Host("ip link set lo up");
        Ns("ip link set p0 addrgenmode none");
        Ns($"ip addr add {PeerV4}/24 dev p0");
        Ns($"ip -6 addr add {PeerV6}/64 dev p0 nodad");
        Ns($"ip -6 addr add {PeerLinkLocal}/64 dev p0 nodad");
        Ns("ip link set p0 up");
        Ns("ip link set lo up");
    }

    public const string HostV4 = "203.0.113.2";
    public const string PeerV4 = "203.0.113.1";
    public const string HostV6 = "2001:db8:1::2";
    public const string PeerV6 = "2001:db8:1::1";
    public const string HostLinkLocal = "fe80::2";
    public const string PeerLinkLocal = "fe80::1";

    /// <summary>The router's namespace.</summary>
    public string Namespace { get; }

    /// <summary>Our side's namespace.</summary>
    public string HostNamespace { get; }

    public string Ns(string command, int timeoutSeconds = 20) => Sh($"ip netns exec {Namespace} {command}", timeoutSeconds);

    public string Host(string command, int timeoutSeconds = 20) => Sh($"ip netns exec {HostNamespace} {command}", timeoutSeconds);

    /// <summary>A TCP socket in the host namespace: created on a thread that joined it (setns), which then ends.</summary>
    public Socket CreateSocket(AddressFamily family) => CreateSocket(family, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A socket of any kind in the host namespace (see <see cref="CreateSocket(AddressFamily)"/>).</summary>
    public Socket CreateSocket(AddressFamily family, SocketType type, ProtocolType protocol) =>
        InNamespace(HostNamespace, () => new Socket(family, type, protocol));

    /// <summary>
    /// Runs <paramref name="action"/> on a thread that joined namespace <paramref name="netns"/>
    /// (setns), which then ends: sockets it opens stay in that namespace, the test's threads do not move.
    /// </summary>
    public static T InNamespace<T>(string netns, Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{netns}");
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({netns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                result = action();
            }
#pragma warning disable CA1031 // rethrown on the calling thread below
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException($"in {netns}: {failure.Message}", failure);
    }

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    public void Dispose()
    {
        TrySh($"ip netns pids {Namespace} | xargs -r kill -9");
        TrySh($"ip netns del {Namespace}");
        TrySh($"ip netns del {HostNamespace}");
    }

    /// <summary>Namespaces of the same lab (<c>{prefix}-{name}-*</c>) left by a crashed run; other labs may be running in parallel.</summary>
    public static void RemoveStale(string prefix, string name)
    {
        TrySh($"for n in $(ip netns list | awk '{{print $1}}' | grep '^{prefix}-{name}-'); do ip netns pids $n | xargs -r kill -9; ip netns del $n; done");
    }

    public static string Sh(string command, int timeoutSeconds = 20)
    {
        var (code, output) = Run(command, timeoutSeconds);
        Assert.True(code == 0, $"`{command}` exited {code}: {output}");
        return output;
    }

    public static (int Code, string Output) Run(string command, int timeoutSeconds = 20)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeoutSeconds} s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static void TrySh(string command) => Run(command);

    /// <summary>Polls until <paramref name="condition"/> holds; false after <paramref name="timeout"/>.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout, int pollMilliseconds = 50)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(pollMilliseconds);
        }
        return condition();
    }
}
