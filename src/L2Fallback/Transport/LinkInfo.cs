using System.Collections.Immutable;
using System.Net;

namespace BgpLb.L2Fallback.Transport;

/// <summary>One network interface as the announcer sees it: name, index, MAC, state and addresses.</summary>
public sealed record LinkInfo(string Name, int Index, MacAddress Mac, bool IsUp, bool IsEthernet, ImmutableArray<IPNetwork> Addresses);
