using System.Net.Sockets;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>A real router in a <see cref="NetnsLab"/>'s peer namespace, configured for one <see cref="InteropSetup"/>, read from the router itself.</summary>
internal interface IInteropRouter : IDisposable
{
    /// <summary>Starts the daemon; when we are active, returns once it listens.</summary>
    void Start();

    /// <summary>How many routes from us the router holds now in that family.</summary>
    int Count(AddressFamily family);

    /// <summary>The route as the router holds it, or null when it holds none for that prefix.</summary>
    ReceivedRoute? Route(string prefix);

    /// <summary>Whether the router shows the link-local IPv6 next hop next to the global one.</summary>
    bool ShowsLinkLocalNextHop { get; }

    /// <summary>
    /// Waits (bounded) until the router reports the Cease NOTIFICATION we sent, and asserts its
    /// subcode and, for an administrative shutdown, its RFC 9003 <paramref name="communication"/>.
    /// </summary>
    void AssertCeaseReceived(CeaseSubcode subcode, string? communication);

    /// <summary>The router's view of the session and its log, for failure messages.</summary>
    string Diagnostics();
}
