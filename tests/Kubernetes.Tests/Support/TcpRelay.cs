using System.Net;
using System.Net.Sockets;

namespace BgpLb.Kubernetes.Tests.Support;

/// <summary>
/// A TCP relay on loopback to the test's API server, which a test stops and starts again on the same port: the
/// API server "away" for one client only (the shared server keeps serving the other tests). Stopping closes
/// the listener and every relayed connection.
/// </summary>
public sealed class TcpRelay(IPEndPoint target) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private Task? _accepting;

    public int Port { get; private set; }

    /// <summary>Listens on 127.0.0.1 (the port of the last start, or a free one the first time).</summary>
    public void Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _stop = new CancellationTokenSource();
        _accepting = AcceptAsync(listener, _stop.Token);
    }

    public async Task StopAsync()
    {
        if (_listener is null || _stop is null || _accepting is null)
        {
            return;
        }
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
            _connections.Clear();
        }
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        _listener = null;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(target, stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            lock (_lock)
            {
                _connections.Add(client);
                _connections.Add(server);
            }
            _ = PumpAsync(client, server);
        }
    }

    private static async Task PumpAsync(TcpClient a, TcpClient b)
    {
        try
        {
            var one = a.GetStream();
            var other = b.GetStream();
            await Task.WhenAny(one.CopyToAsync(other), other.CopyToAsync(one));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // the relay was stopped under the copy
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
