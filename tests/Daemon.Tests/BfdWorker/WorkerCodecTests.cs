using System.Buffers;
using System.Net;
using System.Text;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;
using BgpLb.Daemon.BfdWorker;
using CsCheck;

namespace BgpLb.Daemon.Tests.BfdWorker;

/// <summary>The daemon ↔ BFD worker framing: golden frames both ways, round trips, and a reader that is total on any bytes.</summary>
public sealed class WorkerCodecTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 11, 24, 7, 0, 0, TimeSpan.Zero).AddTicks(123456 * TimeSpan.TicksPerMicrosecond);

    private static readonly Dictionary<string, WorkerMessage[]> Vectors = new()
    {
        { "configure-v4-md5-passive", [new ConfigureSession(7,
            new BfdPeer(IPAddress.Parse("203.0.113.1"), IPAddress.Parse("203.0.113.2")) { Interface = "h0" },
            new BfdProfile
            {
                ReceiveInterval = TimeSpan.FromMilliseconds(50), TransmitInterval = TimeSpan.FromMilliseconds(50),
                EchoInterval = TimeSpan.FromMilliseconds(50), DetectMultiplier = 3, MinimumTtl = 254, PassiveMode = true,
                Authentication = new BfdAuthKey(BfdAuthType.KeyedMd5, 5, "secret"u8),
            })] },
        { "configure-v6-multihop", [new ConfigureSession(258,
            new BfdPeer(IPAddress.Parse("2001:db8:1::1"), IPAddress.Parse("2001:db8:1::2")) { Multihop = true },
            new BfdProfile())] },
        { "state-changed", [new SessionStateChanged(7, BfdState.Up, BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired, BfdDiagnostic.None, At)] },
        { "refused", [new SessionRefused(7, "bad")] },
        { "status-missing", [new SessionStatusReport(9, null)] },
        { "remove", [new RemoveSession(7), new QuerySession(8), new SessionRemoved(7), new SessionConfigured(8, BfdState.Up)] },
    };

    public static TheoryData<string> Golden => [.. Vectors.Keys];

    [Theory]
    [MemberData(nameof(Golden))]
    public void Golden_frames_decode_to_the_messages_and_encode_to_the_same_octets(string name)
    {
        var expected = Vectors[name];
        var bytes = Hex(name);
        var buffer = new ReadOnlySequence<byte>(bytes);
        foreach (var message in expected)
        {
            Assert.Equal(OperationStatus.Done, WorkerCodec.TryRead(ref buffer, out var decoded, out var error));
            Assert.Equal(WorkerFrameError.None, error);
            Assert.Equal(message, decoded);
        }
        Assert.True(buffer.IsEmpty);
        var written = new ArrayBufferWriter<byte>();
        foreach (var message in expected)
        {
            WorkerCodec.Write(written, message);
        }
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(written.WrittenSpan));
    }

    [Fact]
    public void A_status_with_every_field_round_trips()
    {
        var status = new WorkerSessionStatus
        {
            State = BfdState.Up, RemoteState = BfdState.Up, LocalDiagnostic = BfdDiagnostic.None, RemoteDiagnostic = (BfdDiagnostic)31,
            LocalDiscriminator = 0xDEADBEEF, RemoteDiscriminator = 1, TransmitInterval = TimeSpan.FromMilliseconds(10),
            DetectionTime = TimeSpan.FromMilliseconds(30), RemoteDetectMultiplier = 255, PacketsSent = long.MaxValue,
            PacketsReceived = 2, PollSequences = 3, UpTransitions = 4, DownTransitions = 5, Dropped = 6,
        };
        Assert.Equal(new SessionStatusReport(4, status), RoundTrip(new SessionStatusReport(4, status)));
    }

    [Theory]
    [InlineData("0000", nameof(WorkerFrameError.LengthZero))]
    [InlineData("0401", nameof(WorkerFrameError.LengthTooLarge))]
    [InlineData("000500000000 07", nameof(WorkerFrameError.UnknownType))]
    [InlineData("0004 02 000000", nameof(WorkerFrameError.Truncated))]
    [InlineData("0006 02 00000007 00", nameof(WorkerFrameError.TrailingBytes))]
    [InlineData("0006 81 00000008 04", nameof(WorkerFrameError.BadState))]
    [InlineData("0007 01 00000001 08 05", nameof(WorkerFrameError.BadFlags))]
    [InlineData("0007 01 00000001 00 05", nameof(WorkerFrameError.BadAddressFamily))]
    [InlineData("0010 01 00000001 00 04 cb007101 cb007102 10", nameof(WorkerFrameError.BadInterfaceName))]
    [InlineData("0008 83 00000007 0001 ff", nameof(WorkerFrameError.BadReason))]
    [InlineData("0011 84 00000007 03 01 01 00 8000000000000000", nameof(WorkerFrameError.BadTimestamp))]
    public void Malformed_frames_are_refused_by_name_and_nothing_is_consumed(string hex, string reason)
    {
        var expected = Enum.Parse<WorkerFrameError>(reason);
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
        var before = buffer;
        Assert.Equal(OperationStatus.InvalidData, WorkerCodec.TryRead(ref buffer, out var message, out var error));
        Assert.Null(message);
        Assert.Equal(expected, error);
        Assert.Equal(before.Length, buffer.Length);
    }

    [Fact]
    public void Authentication_types_and_secret_lengths_outside_RFC_5880_are_refused()
    {
        var configure = Hex("configure-v4-md5-passive");
        var badType = (byte[])configure.Clone();
        badType[^9] = 6; // Auth Type after MD5's key ID and secret: 1 + 1 + 6 octets from the end
        var buffer = new ReadOnlySequence<byte>(badType);
        Assert.Equal(OperationStatus.InvalidData, WorkerCodec.TryRead(ref buffer, out _, out var error));
        Assert.Equal(WorkerFrameError.BadAuthType, error);
        var longSecret = (byte[])configure.Clone();
        longSecret[^7] = 17; // an MD5 key is at most 16 octets (RFC 5880 §4.3)
        buffer = new ReadOnlySequence<byte>(longSecret);
        Assert.Equal(OperationStatus.InvalidData, WorkerCodec.TryRead(ref buffer, out _, out error));
        Assert.Equal(WorkerFrameError.BadSecretLength, error);
    }

    [Fact]
    public void Every_prefix_of_a_frame_needs_more_data()
    {
        var bytes = Hex("configure-v4-md5-passive");
        for (var n = 0; n < bytes.Length; n++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, n);
            Assert.Equal(OperationStatus.NeedMoreData, WorkerCodec.TryRead(ref buffer, out _, out _));
            Assert.Equal(n, buffer.Length);
        }
    }

    [Fact]
    public void A_long_refusal_reason_is_cut_to_the_frame_on_a_character_boundary()
    {
        var reason = string.Concat(Enumerable.Repeat("é", 2000));
        var decoded = (SessionRefused)RoundTrip(new SessionRefused(1, reason));
        Assert.True(decoded.Reason.Length < reason.Length);
        Assert.All(decoded.Reason, c => Assert.Equal('é', c));
    }

    private static readonly Gen<IPAddress> V4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));
    private static readonly Gen<IPAddress> V6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));

    private static readonly Gen<BfdAuthKey?> Keys = Gen.OneOf(
        Gen.Const((BfdAuthKey?)null),
        Gen.Select(Gen.Int[1, 5], Gen.Byte, Gen.Byte.Array[1, 16], (t, id, secret) => (BfdAuthKey?)new BfdAuthKey((BfdAuthType)t, id, secret)),
        Gen.Select(Gen.Int[4, 5], Gen.Byte, Gen.Byte.Array[17, 20], (t, id, secret) => (BfdAuthKey?)new BfdAuthKey((BfdAuthType)t, id, secret)));

    private static readonly Gen<TimeSpan> Micros = Gen.UInt.Select(us => TimeSpan.FromTicks(us * TimeSpan.TicksPerMicrosecond));

    private static readonly Gen<WorkerMessage> Configures =
        Gen.Select(Gen.UInt, Gen.Bool.SelectMany(v6 => Gen.Select(v6 ? V6 : V4, v6 ? V6 : V4)), Gen.OneOf(Gen.Const((string?)null), Gen.String[Gen.Char.AlphaNumeric, 1, 15]!),
            Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool), Gen.Select(Micros, Micros, Micros), Gen.Select(Gen.Int[0, 255], Gen.Int[0, 255]), Keys,
            (id, addresses, name, flags, intervals, small, key) => (WorkerMessage)new ConfigureSession(id,
                new BfdPeer(addresses.Item1, addresses.Item2) { Interface = name, Multihop = flags.Item1 },
                new BfdProfile
                {
                    ReceiveInterval = intervals.Item1, TransmitInterval = intervals.Item2, EchoInterval = intervals.Item3,
                    DetectMultiplier = small.Item1, MinimumTtl = small.Item2, PassiveMode = flags.Item2, EchoMode = flags.Item3, Authentication = key,
                }));

    private static readonly Gen<BfdState> States = Gen.Int[0, 3].Select(s => (BfdState)s);

    private static readonly Gen<WorkerMessage> Messages = Gen.OneOf(
        Configures,
        Gen.UInt.Select(id => (WorkerMessage)new RemoveSession(id)),
        Gen.UInt.Select(id => (WorkerMessage)new QuerySession(id)),
        Gen.UInt.Select(id => (WorkerMessage)new SessionRemoved(id)),
        Gen.Select(Gen.UInt, States, (id, s) => (WorkerMessage)new SessionConfigured(id, s)),
        Gen.Select(Gen.UInt, Gen.String, (id, reason) => (WorkerMessage)new SessionRefused(id, reason)),
        Gen.Select(Gen.UInt, States, States, Gen.Byte, Gen.Byte, Gen.Long[0, 4_000_000_000_000_000],
            (id, from, to, d, rd, us) => (WorkerMessage)new SessionStateChanged(id, from, to, (BfdDiagnostic)d, (BfdDiagnostic)rd,
                DateTimeOffset.UnixEpoch.AddTicks(us * TimeSpan.TicksPerMicrosecond))));

    [Fact]
    public void Every_message_round_trips_also_when_split_across_segments() =>
        Gen.Select(Messages, Gen.Int[1, 200]).Sample((message, cut) =>
        {
            if (message is SessionRefused r && Encoding.UTF8.GetByteCount(r.Reason) > 1000)
            {
                return; // cut to fit, covered above
            }
            var written = new ArrayBufferWriter<byte>();
            WorkerCodec.Write(written, message);
            var bytes = written.WrittenMemory;
            var buffer = Split(bytes, Math.Min(cut, bytes.Length - 1));
            Assert.Equal(OperationStatus.Done, WorkerCodec.TryRead(ref buffer, out var decoded, out _));
            Assert.True(buffer.IsEmpty);
            Assert.Equal(message, decoded);
        });

    /// <summary>
    /// The reader is total: for any bytes a status, never an exception; it never consumes more than
    /// it was given, and what it allocates is bounded by one frame's message (no buffering of its own).
    /// </summary>
    [Fact]
    public void Any_bytes_give_a_status_never_an_exception_with_bounded_allocation()
    {
        var valid = Vectors.Keys.Select(Hex).ToArray();
        foreach (var bytes in valid)
        {
            // Once before measuring: the first decode of each kind pays for static initialisation.
            var warm = new ReadOnlySequence<byte>(bytes);
            while (WorkerCodec.TryRead(ref warm, out _, out _) == OperationStatus.Done)
            {
            }
        }
        var mutated = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, 200], Gen.Byte, (i, at, value) =>
        {
            var bytes = (byte[])valid[i].Clone();
            bytes[at % bytes.Length] = value;
            return bytes;
        });
        Gen.OneOf(Gen.Byte.Array[0, 1100], mutated).Sample(bytes =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var status = WorkerCodec.TryRead(ref buffer, out var message, out var error);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.InRange(allocated, 0, 4096);
            Assert.True(buffer.Length <= bytes.Length);
            Assert.Equal(status == OperationStatus.Done, message is not null);
            Assert.Equal(status == OperationStatus.InvalidData, error != WorkerFrameError.None);
        }, iter: 20_000);
    }

    private static WorkerMessage RoundTrip(WorkerMessage message)
    {
        var written = new ArrayBufferWriter<byte>();
        WorkerCodec.Write(written, message);
        var buffer = new ReadOnlySequence<byte>(written.WrittenMemory);
        Assert.Equal(OperationStatus.Done, WorkerCodec.TryRead(ref buffer, out var decoded, out var error));
        Assert.Equal(WorkerFrameError.None, error);
        return decoded!;
    }

    private static byte[] Hex(string name)
    {
        var text = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Vectors", "bfd-worker", name + ".hex"))
            .Select(l => l.Split('#')[0]);
        return Convert.FromHexString(string.Concat(text).Replace(" ", "", StringComparison.Ordinal));
    }

    private static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int at)
    {
        var first = new Segment(bytes[..at], 0);
        var second = first.Append(bytes[at..]);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
