namespace BgpLb.L2Fallback.Tests.Support;

internal static class Mac
{
    public static MacAddress Parse(string text) =>
        MacAddress.TryParse(text, out var mac) ? mac : throw new ArgumentException($"not a MAC: {text}", nameof(text));
}
