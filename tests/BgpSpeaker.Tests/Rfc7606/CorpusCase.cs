using System.Buffers.Binary;
using System.Globalization;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Rfc7606;

/// <summary>One row of Vectors/rfc7606/cases.tsv (the header comment there defines the columns).</summary>
public sealed record CorpusCase(
    string Name,
    string Sort,
    string Op,
    string Hex,
    string Action,
    string Notify,
    string Reason,
    string Frr,
    string Source,
    string Note)
{
    public const string File = "rfc7606/cases.tsv";

    private const int ColumnCount = 10;

    /// <summary>198.18.0.1/32 (RFC 2544 benchmark space).</summary>
    public static readonly IpPrefix BaselinePrefix = IpPrefix.Parse("198.18.0.1/32");

    /// <summary>192.0.2.2 (RFC 5737 documentation space).</summary>
    public static readonly System.Net.IPAddress BaselineNextHop = System.Net.IPAddress.Parse("192.0.2.2");

    public const uint BaselineAsn = 65001;

    private static readonly Lazy<IReadOnlyList<CorpusCase>> Rows = new(Load);

    public static IReadOnlyList<CorpusCase> All => Rows.Value;

    public string DisplayName => $"{Name} [{Sort}]";

    public bool TwoOctetSession => Sort == "ebgp-as2";

    public CodecOptions Options => new() { FourOctetAsn = !TwoOctetSession, ExternalPeer = Sort != "ibgp" };

    public ErrorAction ExpectedAction => Action switch
    {
        "none" => ErrorAction.None,
        "discard" => ErrorAction.AttributeDiscard,
        "withdraw" => ErrorAction.TreatAsWithdraw,
        "reset" => ErrorAction.SessionReset,
        _ => throw new InvalidOperationException($"{DisplayName}: unknown action '{Action}'"),
    };

    public BgpErrorReason? ExpectedReason =>
        Reason == "-" ? null : Enum.Parse<BgpErrorReason>(Reason);

    public (BgpErrorCode Code, byte Subcode)? ExpectedNotification
    {
        get
        {
            if (Notify == "-")
            {
                return null;
            }
            var parts = Notify.Split('/');
            return ((BgpErrorCode)byte.Parse(parts[0], CultureInfo.InvariantCulture), byte.Parse(parts[1], CultureInfo.InvariantCulture));
        }
    }

    public byte[] HexBytes => Hex == "-" ? [] : Convert.FromHexString(Hex);

    /// <summary>Type code of the first inserted attribute, for append and replace rows.</summary>
    public byte? InsertedType => Op is "append" or "replace" && HexBytes.Length >= 2 ? HexBytes[1] : null;

    /// <summary>The baseline attributes, in order: ORIGIN IGP, AS_PATH [65001], NEXT_HOP 192.0.2.2.</summary>
    public List<(byte Type, byte[] Bytes)> BaselineAttributes() =>
    [
        ((byte)AttributeType.Origin, Convert.FromHexString("40010100")),
        ((byte)AttributeType.AsPath, Convert.FromHexString(TwoOctetSession ? "4002040201fde9" : "40020602010000fde9")),
        ((byte)AttributeType.NextHop, Convert.FromHexString("400304c0000202")),
    ];

    /// <summary>The UPDATE this row describes, header included.</summary>
    public byte[] BuildMessage()
    {
        if (Op == "message")
        {
            return HexBytes;
        }
        var attributes = BaselineAttributes();
        var extra = Array.Empty<byte>();
        switch (Op)
        {
            case "append":
                extra = HexBytes;
                break;
            case "replace":
                var at = attributes.FindIndex(a => a.Type == HexBytes[1]);
                if (at < 0)
                {
                    throw new InvalidOperationException($"{DisplayName}: nothing to replace");
                }
                attributes[at] = (HexBytes[1], HexBytes);
                break;
            case "omit":
                attributes.RemoveAll(a => HexBytes.AsSpan().Contains(a.Type));
                break;
            default:
                throw new InvalidOperationException($"{DisplayName}: unknown op '{Op}'");
        }
        return Update([.. attributes.SelectMany(a => a.Bytes), .. extra], [32, 198, 18, 0, 1]);
    }

    /// <summary>An UPDATE with no withdrawn routes, the given path attribute field and NLRI field.</summary>
    public static byte[] Update(ReadOnlySpan<byte> attributeField, ReadOnlySpan<byte> nlri)
    {
        var length = BgpHeader.Length + 2 + 2 + attributeField.Length + nlri.Length;
        var message = new byte[length];
        message.AsSpan(0, BgpHeader.MarkerLength).Fill(0xFF);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(BgpHeader.LengthOffset), (ushort)length);
        message[BgpHeader.TypeOffset] = (byte)BgpMessageType.Update;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(BgpHeader.Length + 2), (ushort)attributeField.Length);
        attributeField.CopyTo(message.AsSpan(BgpHeader.Length + 4));
        nlri.CopyTo(message.AsSpan(BgpHeader.Length + 4 + attributeField.Length));
        return message;
    }

    public override string ToString() => DisplayName;

    private static List<CorpusCase> Load()
    {
        var rows = new List<CorpusCase>();
        var headerSeen = false;
        foreach (var line in System.IO.File.ReadLines(HexVector.PathOf(File)))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var cells = line.Split('\t');
            if (cells.Length != ColumnCount)
            {
                throw new InvalidDataException($"{File}: expected {ColumnCount} columns: {line}");
            }
            if (!headerSeen)
            {
                headerSeen = true;
                continue;
            }
            rows.Add(new CorpusCase(cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9]));
        }
        return rows;
    }
}
