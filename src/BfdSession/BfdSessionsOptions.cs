using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace BgpLb.BfdSession;

/// <summary>How <see cref="BfdSessions"/> gets its clock, sockets, randomness and logs.</summary>
public sealed record BfdSessionsOptions
{
    /// <summary>Timers and time. Null: a <see cref="Transport.PrecisionTimeProvider"/> of its own (dedicated timer thread).</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Creates an unbound UDP socket of a family (tests open them in a network namespace). Null: a plain UDP socket.</summary>
    public Func<AddressFamily, Socket>? SocketFactory { get; init; }

    /// <summary>Discriminators, source ports and jitter. Null: a new <see cref="System.Random"/>.</summary>
    public Random? Random { get; init; }

    public ILoggerFactory? Loggers { get; init; }
}
