using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Unicode;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;

namespace BgpLb.Daemon.BfdWorker;

/// <summary>
/// The framing between the daemon and its BFD worker. Each frame:
/// <code>
///  0                   1                   2
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
/// +-------------------------------+---------------+------------------
/// |   Length (type + body, BE)    |     Type      |  Body ...
/// +-------------------------------+---------------+------------------
/// </code>
/// Bodies start with the session id (32 bits) and are laid out field by field in
/// <see cref="Write"/>; integers big-endian, intervals in microseconds as on the BFD wire
/// (RFC 5880 §4.1). Reading is total: a frame, "need more", or a <see cref="WorkerFrameError"/>,
/// never an exception; the length is checked before the body is waited for.
/// </summary>
internal static class WorkerCodec
{
    public const int LengthSize = 2;

    /// <summary>Type and body: the largest, a Configure with an IPv6 pair, a 15-octet interface and a 20-octet key, is under 100; a refusal's reason is cut to fit.</summary>
    public const int MaxFrameLength = 1024;

    /// <summary>Linux IFNAMSIZ less the terminating zero.</summary>
    public const int MaxInterfaceName = 15;

    private const byte Multihop = 1, Passive = 2, Echo = 4, KnownFlags = Multihop | Passive | Echo;
    private const int MaxReasonOctets = MaxFrameLength - 1 - sizeof(uint) - sizeof(ushort);

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/> and advances it past the frame.
    /// Done: <paramref name="message"/> is set. NeedMoreData: nothing consumed. InvalidData:
    /// <paramref name="error"/> says why; nothing consumed, the stream cannot be resynchronised.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, out WorkerMessage? message, out WorkerFrameError error)
    {
        message = null;
        error = WorkerFrameError.None;
        if (buffer.Length < LengthSize)
        {
            return OperationStatus.NeedMoreData;
        }
        Span<byte> lengthBytes = stackalloc byte[LengthSize];
        buffer.Slice(0, LengthSize).CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
        if (length == 0 || length > MaxFrameLength)
        {
            error = length == 0 ? WorkerFrameError.LengthZero : WorkerFrameError.LengthTooLarge;
            return OperationStatus.InvalidData;
        }
        if (buffer.Length < LengthSize + length)
        {
            return OperationStatus.NeedMoreData;
        }
        var frame = buffer.Slice(LengthSize, length);
        if (frame.IsSingleSegment)
        {
            message = Decode(frame.FirstSpan, out error);
        }
        else
        {
            Span<byte> copy = stackalloc byte[MaxFrameLength];
            frame.CopyTo(copy);
            message = Decode(copy[..length], out error);
        }
        if (message is null)
        {
            return OperationStatus.InvalidData;
        }
        buffer = buffer.Slice(LengthSize + length);
        return OperationStatus.Done;
    }

    /// <summary>Decodes type and body (the frame without its length); null with the reason when malformed.</summary>
    public static WorkerMessage? Decode(ReadOnlySpan<byte> frame, out WorkerFrameError error)
    {
        if (frame.IsEmpty)
        {
            error = WorkerFrameError.LengthZero;
            return null;
        }
        var r = new FieldReader(frame[1..]);
        WorkerMessage? message = (WorkerFrameType)frame[0] switch
        {
            WorkerFrameType.Configure => ReadConfigure(ref r),
            WorkerFrameType.Remove => r.U32(out var id) ? new RemoveSession(id) : null,
            WorkerFrameType.Query => r.U32(out var id) ? new QuerySession(id) : null,
            WorkerFrameType.Removed => r.U32(out var id) ? new SessionRemoved(id) : null,
            WorkerFrameType.Configured => r.U32(out var id) && r.State(out var state) ? new SessionConfigured(id, state) : null,
            WorkerFrameType.Refused => ReadRefused(ref r),
            WorkerFrameType.StateChanged => ReadStateChanged(ref r),
            WorkerFrameType.Status => ReadStatus(ref r),
            _ => r.Fail(WorkerFrameError.UnknownType),
        };
        if (message is not null && !r.AtEnd)
        {
            r.Fail(WorkerFrameError.TrailingBytes);
            message = null;
        }
        error = message is null ? r.Error : WorkerFrameError.None;
        return message;
    }

    /// <summary>Writes <paramref name="message"/> as one frame.</summary>
    public static void Write(IBufferWriter<byte> output, WorkerMessage message)
    {
        var span = output.GetSpan(LengthSize + MaxFrameLength);
        var w = new FieldWriter(span[LengthSize..]);
        w.U8((byte)message.Type);
        w.U32(message.Id);
        switch (message)
        {
            case ConfigureSession c:
                WriteConfigure(ref w, c);
                break;
            case SessionConfigured c:
                w.U8((byte)c.State);
                break;
            case SessionRefused f:
                var reason = Encoding.UTF8.GetBytes(f.Reason);
                var n = Math.Min(reason.Length, MaxReasonOctets);
                while (n > 0 && n < reason.Length && (reason[n] & 0xC0) == 0x80)
                {
                    n--; // cut on a character boundary so the reason stays valid UTF-8
                }
                w.U16((ushort)n);
                w.Bytes(reason.AsSpan(0, n));
                break;
            case SessionStateChanged s:
                w.U8((byte)s.From);
                w.U8((byte)s.To);
                w.U8((byte)s.Diagnostic);
                w.U8((byte)s.RemoteDiagnostic);
                w.I64((s.At - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
                break;
            case SessionStatusReport { Status: { } st }:
                WriteStatus(ref w, st);
                break;
            case SessionStatusReport or RemoveSession or QuerySession or SessionRemoved:
                break;
            default:
                throw new InvalidOperationException($"no encoding for {message.GetType().Name}");
        }
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)w.Position);
        output.Advance(LengthSize + w.Position);
    }

    // Configure: Id | Flags (1 multihop, 2 passive, 4 echo) | Family (4/6) | Peer | Local
    //            | IfLen | If | Rx µs | Tx µs | Echo µs | DetectMult | MinTtl | AuthType [| KeyId | SecretLen | Secret]
    private static void WriteConfigure(ref FieldWriter w, ConfigureSession c)
    {
        var p = c.Profile;
        w.U8((byte)((c.Peer.Multihop ? Multihop : 0) | (p.PassiveMode ? Passive : 0) | (p.EchoMode ? Echo : 0)));
        w.U8(WorkerAddress.FamilyOf(c.Peer.Address));
        w.Address(c.Peer.Address);
        w.Address(c.Peer.LocalAddress);
        var name = Encoding.UTF8.GetBytes(c.Peer.Interface ?? "");
        if (name.Length > MaxInterfaceName)
        {
            throw new InvalidOperationException($"interface name {c.Peer.Interface} is longer than {MaxInterfaceName} octets");
        }
        w.U8((byte)name.Length);
        w.Bytes(name);
        w.Micros(p.ReceiveInterval);
        w.Micros(p.TransmitInterval);
        w.Micros(p.EchoInterval);
        w.U8(checked((byte)p.DetectMultiplier));
        w.U8(checked((byte)p.MinimumTtl));
        w.U8((byte)(p.Authentication?.Type ?? BfdAuthType.None));
        if (p.Authentication is { } key)
        {
            w.U8(key.KeyId);
            w.U8((byte)key.Secret.Length);
            w.Bytes(key.Secret);
        }
    }

    private static ConfigureSession? ReadConfigure(ref FieldReader r)
    {
        if (!r.U32(out var id) || !r.U8(out var flags) || !r.U8(out var family))
        {
            return null;
        }
        if ((flags & ~KnownFlags) != 0)
        {
            return r.Fail<ConfigureSession>(WorkerFrameError.BadFlags);
        }
        if (!r.Address(family, out var peer) || !r.Address(family, out var local) || !r.U8(out var nameLength))
        {
            return null;
        }
        if (nameLength > MaxInterfaceName)
        {
            return r.Fail<ConfigureSession>(WorkerFrameError.BadInterfaceName);
        }
        if (!r.Bytes(nameLength, out var name) || !r.Micros(out var rx) || !r.Micros(out var tx) || !r.Micros(out var echo)
            || !r.U8(out var multiplier) || !r.U8(out var minimumTtl) || !r.U8(out var authType))
        {
            return null;
        }
        if (!Utf8.IsValid(name) || name.Contains((byte)0))
        {
            return r.Fail<ConfigureSession>(WorkerFrameError.BadInterfaceName);
        }
        BfdAuthKey? key = null;
        if (authType != (byte)BfdAuthType.None)
        {
            if (authType > (byte)BfdAuthType.MeticulousKeyedSha1)
            {
                return r.Fail<ConfigureSession>(WorkerFrameError.BadAuthType);
            }
            if (!r.U8(out var keyId) || !r.U8(out var secretLength))
            {
                return null;
            }
            var max = (BfdAuthType)authType switch
            {
                BfdAuthType.SimplePassword => BfdAuthSection.MaxPasswordLength,
                BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1 => BfdAuthSection.Sha1DigestLength,
                _ => BfdAuthSection.Md5DigestLength,
            };
            if (secretLength == 0 || secretLength > max)
            {
                return r.Fail<ConfigureSession>(WorkerFrameError.BadSecretLength);
            }
            if (!r.Bytes(secretLength, out var secret))
            {
                return null;
            }
            key = new BfdAuthKey((BfdAuthType)authType, keyId, secret);
        }
        var bfdPeer = new BfdPeer(peer!, local!)
        {
            Interface = nameLength == 0 ? null : Encoding.UTF8.GetString(name),
            Multihop = (flags & Multihop) != 0,
        };
        return new ConfigureSession(id, bfdPeer, new BfdProfile
        {
            ReceiveInterval = rx,
            TransmitInterval = tx,
            EchoInterval = echo,
            DetectMultiplier = multiplier,
            MinimumTtl = minimumTtl,
            PassiveMode = (flags & Passive) != 0,
            EchoMode = (flags & Echo) != 0,
            Authentication = key,
        });
    }

    private static SessionRefused? ReadRefused(ref FieldReader r)
    {
        if (!r.U32(out var id) || !r.U16(out var length) || !r.Bytes(length, out var reason))
        {
            return null;
        }
        return Utf8.IsValid(reason) ? new SessionRefused(id, Encoding.UTF8.GetString(reason)) : r.Fail<SessionRefused>(WorkerFrameError.BadReason);
    }

    private static SessionStateChanged? ReadStateChanged(ref FieldReader r)
    {
        if (!r.U32(out var id) || !r.State(out var from) || !r.State(out var to) || !r.U8(out var diagnostic) || !r.U8(out var remote) || !r.I64(out var micros))
        {
            return null;
        }
        if (micros < 0 || micros > (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond)
        {
            return r.Fail<SessionStateChanged>(WorkerFrameError.BadTimestamp);
        }
        // The diagnostics are the BFD wire's 5-bit values as the FSM holds them: a peer may send ones RFC 5880 does not name.
        return new SessionStateChanged(id, from, to, (BfdDiagnostic)diagnostic, (BfdDiagnostic)remote, DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond));
    }

    // Status: Id [| State | RemoteState | LocalDiag | RemoteDiag | LocalDisc | RemoteDisc | Tx µs | Detection µs
    //             | RemoteMult | Sent | Received | Polls | Ups | Downs | Dropped]; the id alone when there is no such session.
    private static void WriteStatus(ref FieldWriter w, WorkerSessionStatus s)
    {
        w.U8((byte)s.State);
        w.U8((byte)s.RemoteState);
        w.U8((byte)s.LocalDiagnostic);
        w.U8((byte)s.RemoteDiagnostic);
        w.U32(s.LocalDiscriminator);
        w.U32(s.RemoteDiscriminator);
        w.Micros(s.TransmitInterval);
        w.Micros(s.DetectionTime);
        w.U8((byte)s.RemoteDetectMultiplier);
        foreach (var counter in (ReadOnlySpan<long>)[s.PacketsSent, s.PacketsReceived, s.PollSequences, s.UpTransitions, s.DownTransitions, s.Dropped])
        {
            w.I64(counter);
        }
    }

    private static SessionStatusReport? ReadStatus(ref FieldReader r)
    {
        if (!r.U32(out var id))
        {
            return null;
        }
        if (r.AtEnd)
        {
            return new SessionStatusReport(id, null);
        }
        if (!r.State(out var state) || !r.State(out var remoteState) || !r.U8(out var localDiagnostic) || !r.U8(out var remoteDiagnostic)
            || !r.U32(out var localDiscriminator) || !r.U32(out var remoteDiscriminator) || !r.Micros(out var tx) || !r.Micros(out var detection)
            || !r.U8(out var remoteMultiplier) || !r.I64(out var sent) || !r.I64(out var received) || !r.I64(out var polls)
            || !r.I64(out var ups) || !r.I64(out var downs) || !r.I64(out var dropped))
        {
            return null;
        }
        return new SessionStatusReport(id, new WorkerSessionStatus
        {
            State = state,
            RemoteState = remoteState,
            LocalDiagnostic = (BfdDiagnostic)localDiagnostic,
            RemoteDiagnostic = (BfdDiagnostic)remoteDiagnostic,
            LocalDiscriminator = localDiscriminator,
            RemoteDiscriminator = remoteDiscriminator,
            TransmitInterval = tx,
            DetectionTime = detection,
            RemoteDetectMultiplier = remoteMultiplier,
            PacketsSent = sent,
            PacketsReceived = received,
            PollSequences = polls,
            UpTransitions = ups,
            DownTransitions = downs,
            Dropped = dropped,
        });
    }

    private ref struct FieldWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;

        public int Position { get; private set; }

        public void U8(byte value) => _span[Position++] = value;

        public void U16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_span[Position..], value);
            Position += sizeof(ushort);
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_span[Position..], value);
            Position += sizeof(uint);
        }

        public void I64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_span[Position..], value);
            Position += sizeof(long);
        }

        public void Micros(TimeSpan value) => U32(checked((uint)(value.Ticks / TimeSpan.TicksPerMicrosecond)));

        public void Bytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_span[Position..]);
            Position += value.Length;
        }

        public void Address(IPAddress address)
        {
            if (!address.TryWriteBytes(_span[Position..], out var written))
            {
                throw new InvalidOperationException($"no room for {address}");
            }
            Position += written;
        }
    }

    private ref struct FieldReader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _rest = span;

        public WorkerFrameError Error { get; private set; }

        public readonly bool AtEnd => _rest.IsEmpty;

        public WorkerMessage? Fail(WorkerFrameError error) => Fail<WorkerMessage>(error);

        public T? Fail<T>(WorkerFrameError error)
            where T : class
        {
            Error = error;
            return null;
        }

        public bool Bytes(int count, out ReadOnlySpan<byte> value)
        {
            if (_rest.Length < count)
            {
                Error = WorkerFrameError.Truncated;
                value = default;
                return false;
            }
            value = _rest[..count];
            _rest = _rest[count..];
            return true;
        }

        public bool U8(out byte value)
        {
            var ok = Bytes(1, out var b);
            value = ok ? b[0] : default;
            return ok;
        }

        public bool U16(out ushort value)
        {
            var ok = Bytes(sizeof(ushort), out var b);
            value = ok ? BinaryPrimitives.ReadUInt16BigEndian(b) : default;
            return ok;
        }

        public bool U32(out uint value)
        {
            var ok = Bytes(sizeof(uint), out var b);
            value = ok ? BinaryPrimitives.ReadUInt32BigEndian(b) : default;
            return ok;
        }

        public bool I64(out long value)
        {
            var ok = Bytes(sizeof(long), out var b);
            value = ok ? BinaryPrimitives.ReadInt64BigEndian(b) : default;
            return ok;
        }

        public bool Micros(out TimeSpan value)
        {
            var ok = U32(out var micros);
            value = TimeSpan.FromTicks(micros * TimeSpan.TicksPerMicrosecond);
            return ok;
        }

        public bool State(out BfdState value)
        {
            var ok = U8(out var b);
            value = (BfdState)b;
            if (ok && b > (byte)BfdState.Up)
            {
                Error = WorkerFrameError.BadState;
                return false;
            }
            return ok;
        }

        public bool Address(byte family, out IPAddress? address)
        {
            address = null;
            var length = family switch { WorkerAddress.V4 => 4, WorkerAddress.V6 => 16, _ => 0 };
            if (length == 0)
            {
                Error = WorkerFrameError.BadAddressFamily;
                return false;
            }
            if (!Bytes(length, out var bytes))
            {
                return false;
            }
            address = new IPAddress(bytes);
            return true;
        }
    }
}
