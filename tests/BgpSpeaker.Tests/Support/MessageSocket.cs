using System.Buffers;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>One TCP connection of a scripted peer: whole BGP messages in and out, every wait bounded.</summary>
internal sealed class MessageSocket(Socket socket) : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private byte[] _pending = [];

    public Socket Socket { get; } = socket;

    /// <summary>The bytes of the message <see cref="ReceiveAsync"/> returned last.</summary>
    public byte[] LastRaw { get; private set; } = [];

    public async Task SendAsync(BgpMessage message) =>
        await Socket.SendAsync(MessageWriter.ToArray(message, CodecOptions.Default), new CancellationTokenSource(Bound).Token);

    public async Task SendRawAsync(byte[] bytes) => await Socket.SendAsync(bytes, new CancellationTokenSource(Bound).Token);

    /// <summary>The next message from the session, skipping KEEPALIVEs when asked.</summary>
    public async Task<BgpMessage> ReceiveAsync(bool skipKeepalives = false)
    {
        using var timeout = new CancellationTokenSource(Bound);
        var buffer = new byte[4096];
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_pending);
            if (MessageReader.TryRead(ref sequence, CodecOptions.Modern, out var message, out var error) == OperationStatus.Done)
            {
                LastRaw = _pending[..(_pending.Length - (int)sequence.Length)];
                _pending = sequence.ToArray();
                if (skipKeepalives && message is KeepaliveMessage)
                {
                    continue;
                }
                return message!;
            }
            Assert.False(error.IsError, error.ToString());
            var read = await Socket.ReceiveAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the session closed the connection");
            _pending = [.. _pending, .. buffer.AsSpan(0, read)];
        }
    }

    /// <summary>True once the session has closed the connection (FIN or reset), within <see cref="Bound"/>.</summary>
    public async Task<bool> ClosedAsync()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var buffer = new byte[4096];
        try
        {
            while (await Socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => Socket.Dispose();
}
