using System.Collections.Immutable;

namespace BgpLb.Allocator.Sharing;

/// <summary>
/// The shared addresses of one range whose holders all carry one <see cref="ShelfKey"/>: the addresses a
/// Service with that key (and namespace and pods) may look at to join. A pick costs one test per distinct
/// set of taken ports (a bucket), not one per address: 100,000 Services under one key on TCP/80 are one
/// bucket; and a port taken on every address of the shelf rules it all out in one lookup.
/// </summary>
internal sealed class ShareShelf(ShelfKey key)
{
    private static readonly Comparer<SharedAddress> ByAddress = Comparer<SharedAddress>.Create((a, b) => a.Address.CompareTo(b.Address));

    private readonly Dictionary<(UInt128 Fingerprint, int Ports), Bucket> _buckets = [];

    // Per port, on how many of the shelf's addresses it is taken.
    private readonly Dictionary<ServicePort, int> _addressesUsing = [];

    public ShelfKey Key { get; } = key;

    public int Addresses { get; private set; }

    /// <summary>
    /// The lowest address of the shelf on which none of <paramref name="ports"/> is taken. Within a bucket all
    /// addresses take the same ports (equal fingerprints; a collision of two 128-bit sums of mixed ports
    /// would at worst hide a higher candidate, never admit a conflict, as the candidate's own ports are tested).
    /// </summary>
    public SharedAddress? LowestFreeFor(ImmutableArray<ServicePort> ports)
    {
        foreach (var port in ports)
        {
            if (_addressesUsing.TryGetValue(port, out var n) && n == Addresses)
            {
                return null;
            }
        }
        SharedAddress? best = null;
        foreach (var bucket in _buckets.Values)
        {
            var lowest = bucket.Addresses.Min!;
            if ((best is null || lowest.Address < best.Address) && lowest.IsFree(ports))
            {
                best = lowest;
            }
        }
        return best;
    }

    public void PortTaken(ServicePort port) => _addressesUsing[port] = _addressesUsing.GetValueOrDefault(port) + 1;

    public void PortFreed(ServicePort port)
    {
        var n = _addressesUsing[port] - 1;
        if (n == 0)
        {
            _addressesUsing.Remove(port);
        }
        else
        {
            _addressesUsing[port] = n;
        }
    }

    /// <summary>Files the address (new, or with other ports taken than before) in the bucket of its ports.</summary>
    public void Reshape(SharedAddress address)
    {
        var shape = (address.Fingerprint, address.PortCount);
        if (address.Bucket is { } old)
        {
            if (old.Shape == shape)
            {
                return;
            }
            // An address alone in its bucket (one address gaining holders) keeps the bucket under the new shape.
            if (old.Addresses.Count == 1 && !_buckets.ContainsKey(shape))
            {
                _buckets.Remove(old.Shape);
                old.Shape = shape;
                _buckets.Add(shape, old);
                return;
            }
            Unfile(address, old);
        }
        else
        {
            Addresses++;
        }
        if (!_buckets.TryGetValue(shape, out var bucket))
        {
            _buckets.Add(shape, bucket = new Bucket(shape));
        }
        bucket.Addresses.Add(address);
        address.Bucket = bucket;
    }

    /// <summary>The address lost its last holder.</summary>
    public void Remove(SharedAddress address)
    {
        if (address.Bucket is { } bucket)
        {
            Unfile(address, bucket);
            address.Bucket = null;
            Addresses--;
        }
    }

    private void Unfile(SharedAddress address, Bucket bucket)
    {
        bucket.Addresses.Remove(address);
        if (bucket.Addresses.Count == 0)
        {
            _buckets.Remove(bucket.Shape);
        }
    }

    /// <summary>Addresses of the shelf on which the same ports are taken: one more Service may join any of them exactly when it may join the lowest.</summary>
    internal sealed class Bucket((UInt128 Fingerprint, int Ports) shape)
    {
        public (UInt128 Fingerprint, int Ports) Shape { get; set; } = shape;

        public SortedSet<SharedAddress> Addresses { get; } = new(ByAddress);
    }
}
