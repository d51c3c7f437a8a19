using System.Globalization;
using BgpLb.BfdSession.Tests.Support;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Support;
using Xunit;

namespace BgpLb.BfdSession.Tests.Wire;

/// <summary>
/// Packets BIRD 2 and FRR bfdd sent (tests/interop/capture-bfd-vectors.sh): every field our reader
/// decodes equals what Wireshark's own BFD dissector (tshark) read, the packet re-encodes to the
/// same octets (for authenticated ones: our digest equals BIRD's), and a wrong secret fails.
/// </summary>
public sealed class CapturedVectorTests
{
    public static IEnumerable<object[]> Captured => VectorFile.Under("captured");

    [Fact]
    public void Captures_from_both_peers_and_every_authentication_type_are_present()
    {
        var names = Captured.Select(c => (string)c[0]).ToList();
        Assert.Contains(names, n => n.Contains("/frr-", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("/bird-plain", StringComparison.Ordinal));
        foreach (var type in new[] { "simple", "keyed-md5", "meticulous-keyed-md5", "keyed-sha1", "meticulous-keyed-sha1" })
        {
            Assert.Contains(names, n => n.Contains($"-auth-{type}-up", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Captured_packet_decodes_as_tshark_does_and_re_encodes_identically(string vector)
    {
        var bytes = VectorFile.Load(vector);
        Assert.True(BfdPacketReader.TryRead(bytes, out var p, out var reason), reason.ToString());
        var tshark = VectorFile.Comments(vector).Select(c => c.Trim()).Single(c => c.StartsWith("tshark:", StringComparison.Ordinal))["tshark:".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        long Field(string name) => Number(tshark[name]);
        Assert.Equal(Field("bfd.version"), p.Version);
        Assert.Equal(Field("bfd.diag"), (long)p.Diagnostic);
        Assert.Equal(Field("bfd.sta"), (long)p.State);
        Assert.Equal(Field("bfd.flags.p") != 0, p.Poll);
        Assert.Equal(Field("bfd.flags.f") != 0, p.Final);
        Assert.Equal(Field("bfd.flags.c") != 0, p.ControlPlaneIndependent);
        Assert.Equal(Field("bfd.flags.a") != 0, p.AuthenticationPresent);
        Assert.Equal(Field("bfd.flags.d") != 0, p.Demand);
        Assert.Equal(Field("bfd.flags.m") != 0, p.Multipoint);
        Assert.Equal(Field("bfd.detect_time_multiplier"), p.DetectMultiplier);
        Assert.Equal(Field("bfd.message_length"), p.Length);
        Assert.Equal(Field("bfd.my_discriminator"), p.MyDiscriminator);
        Assert.Equal(Field("bfd.your_discriminator"), p.YourDiscriminator);
        Assert.Equal(Field("bfd.desired_min_tx_interval"), p.DesiredMinTxInterval);
        Assert.Equal(Field("bfd.required_min_rx_interval"), p.RequiredMinRxInterval);
        Assert.Equal(Field("bfd.required_min_echo_interval"), p.RequiredMinEchoRxInterval);
        var key = VectorKey.For(vector, p);
        if (p.AuthenticationPresent)
        {
            Assert.Equal(Field("bfd.auth.type"), (long)p.Auth.Type);
            Assert.Equal(Field("bfd.auth.len"), p.Auth.Length);
            Assert.Equal(Field("bfd.auth.key"), p.Auth.KeyId);
            if (p.Auth.IsKeyed)
            {
                Assert.Equal(Field("bfd.auth.seq_num"), p.Auth.SequenceNumber);
            }
            Assert.NotNull(key);
            Assert.Equal(BfdDropReason.None, BfdAuthenticator.Verify(bytes, p.Auth, key));
            var wrong = new BfdAuthKey(key.Type, key.KeyId, "not-the-secret"u8);
            Assert.Equal(BfdDropReason.AuthenticationFailed, BfdAuthenticator.Verify(bytes, p.Auth, wrong));
        }
        else
        {
            Assert.Equal("", tshark["bfd.auth.type"]);
        }
        var buffer = new byte[BfdControlPacket.MaxWrittenLength];
        Assert.True(BfdPacketWriter.TryWrite(p, key, buffer, out var written));
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(buffer, 0, written));
    }

    private static long Number(string text) => text switch
    {
        "True" => 1,
        "False" => 0,
        _ when text.StartsWith("0x", StringComparison.Ordinal) => long.Parse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        _ => long.Parse(text, CultureInfo.InvariantCulture),
    };
}
