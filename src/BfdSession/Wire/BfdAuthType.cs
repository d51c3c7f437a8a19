namespace BgpLb.BfdSession.Wire;

/// <summary>RFC 5880 §4.1 "Auth Type", with its wire value.</summary>
public enum BfdAuthType : byte
{
    None = 0,
    SimplePassword = 1,
    KeyedMd5 = 2,
    MeticulousKeyedMd5 = 3,
    KeyedSha1 = 4,
    MeticulousKeyedSha1 = 5,
}
