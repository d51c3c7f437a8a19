using System.Text;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// NOTIFICATION (RFC 4271 §4.5):
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Error code    | Error subcode |   Data (variable)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public sealed record NotificationMessage(BgpErrorCode Code, byte Subcode, ValueArray<byte> Data) : BgpMessage
{
    /// <summary>RFC 9003 §2: the shutdown communication is at most 255 octets of UTF-8.</summary>
    public const int MaxShutdownCommunicationLength = 255;

    public override BgpMessageType Type => BgpMessageType.Notification;

    /// <summary>The NOTIFICATION a decode error requires (RFC 4271 §6).</summary>
    public static NotificationMessage For(in BgpError error) => new(error.Code, error.Subcode, error.Data.ToArray());

    /// <summary>
    /// Cease with an RFC 9003 shutdown communication. Only Administrative Shutdown and
    /// Administrative Reset carry one (RFC 9003 §2).
    /// </summary>
    public static NotificationMessage Cease(CeaseSubcode subcode, string? communication = null)
    {
        if (string.IsNullOrEmpty(communication))
        {
            return new NotificationMessage(BgpErrorCode.Cease, (byte)subcode, default);
        }
        if (subcode is not (CeaseSubcode.AdministrativeShutdown or CeaseSubcode.AdministrativeReset))
        {
            throw new ArgumentException($"RFC 9003 allows a shutdown communication only with Administrative Shutdown or Reset, not {subcode}.", nameof(subcode));
        }
        var length = Encoding.UTF8.GetByteCount(communication);
        if (length > MaxShutdownCommunicationLength)
        {
            throw new ArgumentException($"The shutdown communication is {length} octets of UTF-8; RFC 9003 allows at most {MaxShutdownCommunicationLength}.", nameof(communication));
        }
        var data = new byte[1 + length];
        data[0] = (byte)length;
        Encoding.UTF8.GetBytes(communication, data.AsSpan(1));
        return new NotificationMessage(BgpErrorCode.Cease, (byte)subcode, data);
    }

    /// <summary>
    /// RFC 8538 §3: Cease / Hard Reset carrying <paramref name="inner"/> (its code, subcode and data), the
    /// one Cease that makes a peer with the N bit negotiated flush our routes instead of keeping them
    /// as for a graceful restart.
    /// </summary>
    public static NotificationMessage HardReset(NotificationMessage inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var data = new byte[2 + inner.Data.Count];
        data[0] = (byte)inner.Code;
        data[1] = inner.Subcode;
        inner.Data.AsSpan().CopyTo(data.AsSpan(2));
        return new NotificationMessage(BgpErrorCode.Cease, (byte)CeaseSubcode.HardReset, data);
    }

    /// <summary>
    /// Reads the RFC 9003 shutdown communication. False when there is none, or when it is
    /// malformed (length beyond the data, or not UTF-8): RFC 9003 §3 says to log such data as hex.
    /// </summary>
    public bool TryGetShutdownCommunication(out string communication)
    {
        communication = "";
        if (Code != BgpErrorCode.Cease ||
            (CeaseSubcode)Subcode is not (CeaseSubcode.AdministrativeShutdown or CeaseSubcode.AdministrativeReset) ||
            Data.IsEmpty)
        {
            return false;
        }
        var data = Data.AsSpan();
        var length = data[0];
        if (length == 0 || length > data.Length - 1)
        {
            return false;
        }
        try
        {
            communication = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data.Slice(1, length));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    public override string ToString()
    {
        var text = $"NOTIFICATION {Code}/{SubcodeName}";
        if (TryGetShutdownCommunication(out var communication))
        {
            return $"{text} \"{communication}\"";
        }
        return Data.IsEmpty ? text : $"{text} data {Convert.ToHexString(Data.AsSpan())}";
    }

    /// <summary>The subcode's RFC name where the code has a subcode registry.</summary>
    public string SubcodeName => Code switch
    {
        BgpErrorCode.MessageHeader => ((MessageHeaderSubcode)Subcode).ToString(),
        BgpErrorCode.Open => ((OpenSubcode)Subcode).ToString(),
        BgpErrorCode.Update => ((UpdateSubcode)Subcode).ToString(),
        BgpErrorCode.FsmError => ((FsmSubcode)Subcode).ToString(),
        BgpErrorCode.Cease => ((CeaseSubcode)Subcode).ToString(),
        BgpErrorCode.RouteRefresh => ((RouteRefreshSubcode)Subcode).ToString(),
        _ => Subcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
