using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace BgpLb.L2Fallback.Transport;

/// <summary>Reads the interfaces of the calling thread's network namespace.</summary>
public static class NetworkLinks
{
    public static ImmutableArray<LinkInfo> Read()
    {
        var links = ImmutableArray.CreateBuilder<LinkInfo>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var properties = nic.GetIPProperties();
            int index;
            try
            {
                index = properties.GetIPv4Properties()?.Index ?? properties.GetIPv6Properties().Index;
            }
            catch (NetworkInformationException)
            {
                continue;
            }
            var macBytes = nic.GetPhysicalAddress().GetAddressBytes();
            var mac = macBytes.Length == MacAddress.Length ? MacAddress.Read(macBytes) : MacAddress.Zero;
            var addresses = properties.UnicastAddresses
                .Select(a => new IPNetwork(Masked(a.Address, a.PrefixLength), a.PrefixLength))
                .ToImmutableArray();
            links.Add(new LinkInfo(
                nic.Name,
                index,
                mac,
                nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown,
                nic.NetworkInterfaceType == NetworkInterfaceType.Ethernet && macBytes.Length == MacAddress.Length,
                addresses));
        }
        return links.ToImmutable();
    }

    private static IPAddress Masked(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(bytes, 0) : new IPAddress(bytes);
    }
}
