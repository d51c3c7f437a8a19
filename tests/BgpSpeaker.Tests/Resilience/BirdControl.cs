using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// One persistent connection to BIRD's control socket, so that a poll costs a fraction of a
/// millisecond instead of a <c>birdc</c> process: the stress test times phases that take tens of
/// milliseconds. BIRD's reply lines are "NNNN-text" (more follows), " text" (continuation) or
/// "NNNN text" (last line).
/// </summary>
internal sealed partial class BirdControl : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    public BirdControl(string path)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _stream = new NetworkStream(_socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.ASCII);
        var hello = _reader.ReadLine();
        if (hello is null || !hello.StartsWith("0001 ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"unexpected BIRD greeting on {path}: '{hello}'");
        }
    }

    public string Command(string command)
    {
        _stream.Write(Encoding.ASCII.GetBytes(command + "\n"));
        var reply = new StringBuilder();
        while (_reader.ReadLine() is { } line)
        {
            reply.AppendLine(line);
            if (line.Length >= 5 && char.IsAsciiDigit(line[0]) && line[4] == ' ')
            {
                break;
            }
        }
        return reply.ToString();
    }

    /// <summary>Routes the protocol's IPv4 channel has imported (BIRD's own counter), or -1 when the session is not up.</summary>
    public int Imported(string protocol) =>
        ImportedLine().Match(Command($"show protocols all {protocol}")) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;

    /// <summary>
    /// Polls every <paramref name="interval"/> until <paramref name="done"/> holds of the imported
    /// count or <paramref name="timeout"/> passes; returns when it first held and when the count
    /// first passed <paramref name="tail"/> (both read from <paramref name="now"/>), or null on timeout.
    /// </summary>
    public (TimeSpan Done, TimeSpan Tail)? WaitFor(string protocol, Func<int, bool> done, Func<int, bool> tail, Func<TimeSpan> now, TimeSpan interval, TimeSpan timeout)
    {
        var deadline = now() + timeout;
        TimeSpan? tailAt = null;
        while (now() < deadline)
        {
            var count = Imported(protocol);
            var at = now();
            if (tailAt is null && tail(count))
            {
                tailAt = at;
            }
            if (done(count))
            {
                return (at, tailAt ?? at);
            }
            Thread.Sleep(interval);
        }
        return null;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }

    [GeneratedRegex(@"Routes:\s+(\d+) imported")]
    private static partial Regex ImportedLine();
}
