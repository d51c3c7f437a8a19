using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Writes prefixes in the RFC 4271 §4.3 / RFC 7911 §3 encoding.</summary>
internal static class NlriWriter
{
    public static int Size<T>(in T nlri, bool addPath)
        where T : struct, INlriEntry => (addPath ? 5 : 1) + nlri.Prefix.WireBytes;

    public static int Size<T>(ReadOnlySpan<T> nlri, bool addPath)
        where T : struct, INlriEntry
    {
        var size = 0;
        foreach (ref readonly var entry in nlri)
        {
            size += Size(entry, addPath);
        }
        return size;
    }

    public static int Write<T>(Span<byte> destination, in T nlri, bool addPath)
        where T : struct, INlriEntry
    {
        var at = 0;
        if (addPath)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, nlri.PathId);
            at = 4;
        }
        var prefix = nlri.Prefix;
        destination[at++] = prefix.Length;
        if (prefix.Family == Afi.IPv4)
        {
            // Hot path: the builder writes hundreds of IPv4 prefixes per UPDATE.
            var address = prefix.V4Address;
            for (var i = 0; i < prefix.WireBytes; i++)
            {
                destination[at++] = (byte)(address >> (24 - (8 * i)));
            }
            return at;
        }
        prefix.WriteSignificant(destination[at..]);
        return at + prefix.WireBytes;
    }

    public static int Write<T>(Span<byte> destination, ReadOnlySpan<T> nlri, bool addPath)
        where T : struct, INlriEntry
    {
        var at = 0;
        foreach (ref readonly var entry in nlri)
        {
            at += Write(destination[at..], entry, addPath);
        }
        return at;
    }
}
