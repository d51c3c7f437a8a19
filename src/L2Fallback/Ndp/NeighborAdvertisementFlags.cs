namespace BgpLb.L2Fallback.Ndp;

/// <summary>RFC 4861 §4.4: the R, S and O bits, the top three of the word after the checksum.</summary>
[Flags]
public enum NeighborAdvertisementFlags : byte
{
    None = 0,
    Override = 0x20,
    Solicited = 0x40,
    Router = 0x80,
}
