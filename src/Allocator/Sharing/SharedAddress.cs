using System.Collections.Immutable;

namespace BgpLb.Allocator.Sharing;

/// <summary>
/// An address held under an allow-shared-ip key, by one Service or many. MetalLB checks a newcomer against
/// every holder in turn; here what all holders must agree on (key, namespace, pods) is its
/// <see cref="ShareShelf"/>'s key, kept once, and ports are indexed port → holder, so a Service joins or
/// leaves in O(log n) in the holders plus O(its own ports), however many share the address.
/// </summary>
internal sealed class SharedAddress(IpAddress address, ShareShelf shelf)
{
    // Ordered by Service, so the holder an error names does not depend on hashing or arrival order.
    private static readonly Comparer<ServiceState> ByService = Comparer<ServiceState>.Create((a, b) => a.Key.CompareTo(b.Key));

    private readonly SortedSet<ServiceState> _holders = new(ByService);
    private readonly Dictionary<ServicePort, ServiceState> _ports = [];

    public IpAddress Address { get; } = address;

    public ShareShelf Shelf { get; } = shelf;

    public int Holders => _holders.Count;

    /// <summary>Ports taken on the address, all holders together.</summary>
    public int PortCount => _ports.Count;

    /// <summary>
    /// The set of ports taken, as a sum of one 128-bit mix per port: updated in O(1) per port, equal for equal
    /// sets, so addresses whose holders take the same ports land in one bucket without comparing the sets.
    /// </summary>
    public UInt128 Fingerprint { get; private set; }

    /// <summary>Set by the shelf: the bucket of addresses with the same ports.</summary>
    public ShareShelf.Bucket? Bucket { get; set; }

    /// <summary>Whether someone other than <paramref name="self"/> holds the address.</summary>
    public bool HasHoldersBesides(ServiceState? self) =>
        _holders.Count > (self is not null && _holders.Contains(self) ? 1 : 0);

    /// <summary>The first holder (in Service order) other than <paramref name="self"/>: the one an error names.</summary>
    public ServiceState HolderBesides(ServiceState? self) => _holders.First(h => !ReferenceEquals(h, self));

    public ServiceState? HolderOf(ServicePort port) => _ports.GetValueOrDefault(port);

    /// <summary>Whether none of <paramref name="ports"/> is taken here.</summary>
    public bool IsFree(ImmutableArray<ServicePort> ports)
    {
        foreach (var port in ports)
        {
            if (_ports.ContainsKey(port))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Adds a holder whose ports were checked free (a port it lists twice is taken once).</summary>
    public void Add(ServiceState state)
    {
        _holders.Add(state);
        foreach (var port in state.Service.Ports)
        {
            if (_ports.TryAdd(port, state))
            {
                Fingerprint += Mix(port);
                Shelf.PortTaken(port);
            }
        }
        Shelf.Reshape(this);
    }

    /// <summary>Removes a holder and frees the ports it took; the holder's Service must be the one it was added with.</summary>
    public void Remove(ServiceState state)
    {
        _holders.Remove(state);
        foreach (var port in state.Service.Ports)
        {
            if (_ports.TryGetValue(port, out var holder) && ReferenceEquals(holder, state))
            {
                _ports.Remove(port);
                Fingerprint -= Mix(port);
                Shelf.PortFreed(port);
            }
        }
        if (_holders.Count == 0)
        {
            Shelf.Remove(this);
        }
        else
        {
            Shelf.Reshape(this);
        }
    }

    // SplitMix64's finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014),
    // a bijection on 64 bits, run twice with different inputs for 128 bits.
    private const ulong Golden = 0x9E37_79B9_7F4A_7C15;
    private const ulong Golden2 = 0x3C6E_F372_FE94_F82A;
    private const ulong Mix1 = 0xBF58_476D_1CE4_E5B9;
    private const ulong Mix2 = 0x94D0_49BB_1331_11EB;
    private const int ProtocolBits = 8;

    private static UInt128 Mix(ServicePort port)
    {
        var x = ((ulong)(uint)port.Port << ProtocolBits) | (byte)port.Protocol;
        return new UInt128(SplitMix(x + Golden), SplitMix(x + Golden2));
    }

    private static ulong SplitMix(ulong z)
    {
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return z ^ (z >> 31);
    }
}
