using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Transport;
using BgpLb.BfdSession.Wire;
using Microsoft.Extensions.Time.Testing;

namespace BgpLb.BfdSession.Tests.Support;

/// <summary>
/// Two <see cref="SessionRunner"/>s wired back to back on one <see cref="FakeTimeProvider"/>: what
/// one sends, the other receives (through the real decoder) unless the link is cut. Deterministic:
/// time moves only by <see cref="Advance"/>.
/// </summary>
internal sealed class LinkedPair : IDisposable
{
    public LinkedPair(BfdSessionParameters a, BfdSessionParameters b, int seed = 1)
    {
        Time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        SinkA = new Wire(this, toA: false);
        SinkB = new Wire(this, toA: true);
        A = new SessionRunner(a, 0x11111111, Time, new Random(seed), SinkA, (r, _) => TransitionsA.Add(r));
        B = new SessionRunner(b, 0x22222222, Time, new Random(seed + 1), SinkB, (r, _) => TransitionsB.Add(r));
    }

    public FakeTimeProvider Time { get; }
    public SessionRunner A { get; }
    public SessionRunner B { get; }
    public Wire SinkA { get; }
    public Wire SinkB { get; }
    public List<BfdReaction> TransitionsA { get; } = [];
    public List<BfdReaction> TransitionsB { get; } = [];

    /// <summary>While true, packets are lost in both directions (a silent failure).</summary>
    public bool Cut { get; set; }

    /// <summary>Moves fake time in 1 ms steps, so timers fire in order.</summary>
    public void Advance(TimeSpan span)
    {
        var end = Time.GetUtcNow() + span;
        while (Time.GetUtcNow() < end)
        {
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    public BfdState StateA => A.Read(f => f.State);
    public BfdState StateB => B.Read(f => f.State);

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    /// <summary>One direction of the link; records every packet with its send time.</summary>
    internal sealed class Wire(LinkedPair pair, bool toA) : IPacketSink
    {
        public List<(DateTimeOffset At, BfdControlPacket Packet)> Sent { get; } = [];

        public void Send(ReadOnlySpan<byte> packet)
        {
            Assert(BfdPacketReader.TryRead(packet, out var decoded, out var reason), reason);
            Sent.Add((pair.Time.GetUtcNow(), decoded));
            if (pair.Cut)
            {
                return;
            }
            (toA ? pair.A : pair.B).Receive(decoded, packet);
        }

        private static void Assert(bool ok, BfdDropReason reason)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"we sent a packet our own decoder rejects: {reason}");
            }
        }
    }
}
