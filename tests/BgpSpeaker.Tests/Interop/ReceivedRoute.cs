namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// One route as a router shows it, in one notation for all routers: communities as
/// <c>65000:100</c>, large communities as <c>4200000001:1:2</c>, next hops in the order the router
/// lists them (IPv6: global, then link-local when the router shows it).
/// </summary>
internal sealed record ReceivedRoute(
    string Origin,
    IReadOnlyList<uint> AsPath,
    IReadOnlyList<string> NextHops,
    uint? Med,
    uint? LocalPref,
    IReadOnlyList<string> Communities,
    IReadOnlyList<string> LargeCommunities)
{
    public override string ToString() =>
        $"origin {Origin}, as-path [{string.Join(' ', AsPath)}], next hops [{string.Join(' ', NextHops)}], med {Med}, local-pref {LocalPref}, "
        + $"communities [{string.Join(' ', Communities)}], large [{string.Join(' ', LargeCommunities)}]";
}
