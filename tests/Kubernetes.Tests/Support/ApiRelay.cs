using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// The API server as a speaker in a node's network namespace reaches it: a listener on that namespace's
/// loopback (opened there by setns) whose connections are relayed to the server on the test's loopback. The
/// lab's namespaces get no route to the host, and no address is added outside them (network safety). A server
/// that is stopped closes its connections, and new ones fail, exactly as for a speaker beside it.
/// </summary>
public sealed class ApiRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Func<int> _target;

    /// <param name="target">The server's port now (it may change when the server restarts).</param>
    public ApiRelay(string netns, Func<int> target)
    {
        _target = target;
        _listener = NetnsLab.InNamespace(netns, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Listen();
            return socket;
        });
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port on the node namespace's 127.0.0.1.</summary>
    public int Port { get; }

    public string Address => $"https://127.0.0.1:{Port}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _target()), _stop.Token);
                await using var a = new NetworkStream(client, ownsSocket: false);
                await using var b = new NetworkStream(upstream, ownsSocket: false);
                // Whichever side ends first ends both.
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // the server is away (or the relay stops): the speaker sees a failed connection
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
