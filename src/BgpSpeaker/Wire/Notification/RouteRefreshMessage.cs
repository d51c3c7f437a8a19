namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Message Subtype of ROUTE-REFRESH (RFC 7313 §3.2).</summary>
public enum RouteRefreshSubtype : byte
{
    Normal = 0,
    BeginningOfRouteRefresh = 1,
    EndOfRouteRefresh = 2,
}

/// <summary>
/// ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3.2):
/// <code>
///  0       7      15      23      31
/// +-------+-------+-------+-------+
/// |      AFI      | Subtype | SAFI |
/// +-------+-------+-------+-------+
/// </code>
/// </summary>
public sealed record RouteRefreshMessage(Afi Afi, RouteRefreshSubtype Subtype, Safi Safi) : BgpMessage
{
    public const int BodyLength = 4;

    public override BgpMessageType Type => BgpMessageType.RouteRefresh;

    public AfiSafi Family => new(Afi, Safi);
}
