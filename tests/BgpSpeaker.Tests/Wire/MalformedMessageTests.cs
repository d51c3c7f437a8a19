using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Wire;

/// <summary>Header, OPEN and ROUTE-REFRESH errors: the NOTIFICATION each must produce (RFC 4271 §6.1–6.2, RFC 8654, RFC 7313).</summary>
public sealed class MalformedMessageTests
{
    private const string Marker = "ffffffffffffffffffffffffffffffff";

    public static TheoryData<string, string, byte, byte, string, BgpErrorReason> Cases => new()
    {
        { "marker with a zero octet", "ffffffffffffffffffffffffffffff00" + "0013" + "04", 1, 1, "", BgpErrorReason.BadMarker },
        { "length 18", Marker + "0012" + "04", 1, 2, "0012", BgpErrorReason.MessageTooShort },
        { "UPDATE of 4097 without Extended Message", Marker + "1001" + "02", 1, 2, "1001", BgpErrorReason.MessageTooLong },
        { "type 6", Marker + "0013" + "06", 1, 3, "06", BgpErrorReason.UnknownMessageType },
        { "type 0", Marker + "0013" + "00", 1, 3, "00", BgpErrorReason.UnknownMessageType },
        { "KEEPALIVE of 20", Marker + "0014" + "04" + "00", 1, 2, "0014", BgpErrorReason.BadLengthForType },
        { "OPEN of 28", Marker + "001c" + "01" + "04fde900b4c00002", 1, 2, "001c", BgpErrorReason.BadLengthForType },
        { "UPDATE of 22", Marker + "0016" + "02" + "000000", 1, 2, "0016", BgpErrorReason.BadLengthForType },
        { "NOTIFICATION of 20", Marker + "0014" + "03" + "06", 1, 2, "0014", BgpErrorReason.BadLengthForType },
        { "OPEN version 3", Marker + "001d" + "01" + "03fde900b4c000020100", 2, 1, "0004", BgpErrorReason.UnsupportedVersion },
        { "OPEN authentication parameter", Marker + "0020" + "01" + "04fde900b4c0000201" + "03" + "010100", 2, 4, "01", BgpErrorReason.UnsupportedOptionalParameter },
        { "OPEN parameters longer than the message", Marker + "001e" + "01" + "04fde900b4c0000201" + "05" + "02", 2, 0, "", BgpErrorReason.OptionalParametersOverrun },
        { "OPEN bytes after the parameters", Marker + "001e" + "01" + "04fde900b4c0000201" + "00" + "00", 2, 0, "", BgpErrorReason.TrailingBytes },
        { "OPEN capability overrunning its parameter", Marker + "0021" + "01" + "04fde900b4c0000201" + "04" + "0202" + "4104", 2, 0, "", BgpErrorReason.CapabilityOverrun },
        { "OPEN 4-octet AS capability of 3 octets", Marker + "0024" + "01" + "04fde900b4c0000201" + "07" + "0205" + "4103" + "fa56ea", 2, 0, "4103fa56ea", BgpErrorReason.CapabilityLengthInvalid },
        { "OPEN ADD-PATH with Send/Receive 0", Marker + "0025" + "01" + "04fde900b4c0000201" + "08" + "0206" + "4504" + "00010100", 2, 0, "450400010100", BgpErrorReason.CapabilityLengthInvalid },
        { "ROUTE-REFRESH of 24", Marker + "0018" + "05" + "0001000100", 7, 1, Marker + "0018" + "05" + "0001000100", BgpErrorReason.RouteRefreshLengthInvalid },
        { "ROUTE-REFRESH of 22", Marker + "0016" + "05" + "000100", 7, 1, Marker + "0016" + "05" + "000100", BgpErrorReason.RouteRefreshLengthInvalid },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_message_resets_the_session_with_the_rfc_notification(string name, string hex, byte code, byte subcode, string data, BgpErrorReason reason)
    {
        var status = MessageReader.TryRead(Convert.FromHexString(hex), CodecOptions.Default, out var message, out var error);
        Assert.True(status == System.Buffers.OperationStatus.InvalidData, name);
        Assert.Null(message);
        Assert.Equal(ErrorAction.SessionReset, error.Action);
        Assert.Equal((BgpErrorCode)code, error.Code);
        Assert.Equal(subcode, error.Subcode);
        Assert.Equal(data, Convert.ToHexStringLower(error.Data.Span));
        Assert.Equal(reason, error.Reason);
        // The NOTIFICATION the session sends for it carries exactly that.
        Assert.Equal(new NotificationMessage((BgpErrorCode)code, subcode, error.Data.ToArray()), NotificationMessage.For(error));
    }

    [Fact]
    public void Open_longer_than_4096_is_rejected_even_with_extended_messages()
    {
        var open = Convert.FromHexString(Marker + "1388" + "01");
        var sequence = new System.Buffers.ReadOnlySequence<byte>(open);
        var status = MessageReader.TryReadHeader(sequence, CodecOptions.Modern, out _, out _, out var error);
        Assert.Equal(System.Buffers.OperationStatus.InvalidData, status);
        Assert.Equal(BgpErrorReason.MessageTooLong, error.Reason);
    }

    [Fact]
    public void Update_longer_than_4096_is_accepted_once_extended_messages_are_negotiated()
    {
        var header = new System.Buffers.ReadOnlySequence<byte>(Convert.FromHexString(Marker + "1388" + "02"));
        Assert.Equal(System.Buffers.OperationStatus.NeedMoreData, MessageReader.TryReadHeader(header, CodecOptions.Modern, out var length, out _, out _));
        Assert.Equal(5000, length);
    }

    [Fact]
    public void Shutdown_communication_longer_than_255_octets_is_refused() =>
        Assert.Throws<ArgumentException>(() => NotificationMessage.Cease(CeaseSubcode.AdministrativeShutdown, new string('x', 256)));

    [Fact]
    public void Malformed_shutdown_communication_is_reported_as_absent()
    {
        var notification = new NotificationMessage(BgpErrorCode.Cease, (byte)CeaseSubcode.AdministrativeShutdown, new byte[] { 5, 0x41 });
        Assert.False(notification.TryGetShutdownCommunication(out _));
        Assert.Contains("data 0541", notification.ToString(), StringComparison.Ordinal);
    }
}
