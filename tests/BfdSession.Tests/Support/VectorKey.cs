using System.Text;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Support;

namespace BgpLb.BfdSession.Tests.Support;

/// <summary>The authentication key a vector names in its "# key: id N, secret S" comment, with the type of its section.</summary>
internal static class VectorKey
{
    public static BfdAuthKey? For(string vector, in BfdControlPacket packet)
    {
        var line = VectorFile.Comments(vector).Select(c => c.Trim()).FirstOrDefault(c => c.StartsWith("key:", StringComparison.Ordinal));
        if (line is null || !packet.AuthenticationPresent)
        {
            return null;
        }
        var parts = line["key:".Length..].Split(',', StringSplitOptions.TrimEntries);
        var id = byte.Parse(parts[0]["id ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var secret = parts[1]["secret ".Length..];
        return new BfdAuthKey(packet.Auth.Type, id, Encoding.ASCII.GetBytes(secret));
    }
}
