namespace BgpLb.Allocator.Ranges;

/// <summary>
/// One range of one pool and which of its addresses are in use, as maximal runs of the range's
/// <em>usable</em> addresses. With avoidBuggyIPs the usable addresses of IPv4 skip x.x.x.0 and x.x.x.255,
/// and two runs separated only by such addresses are one run, so the lowest free address is found in
/// one floor query, never by stepping over full /24s.
/// </summary>
internal sealed class PoolRange
{
    // avoidBuggyIPs: the last octet values some consumer firmware treats as broadcast (MetalLB's ipConfusesBuggyFirmwares).
    private const uint OctetMask = 0xFF;
    private const uint NetworkOctet = 0x00;
    private const uint BroadcastOctet = 0xFF;
    private const uint LastUsableOctet = BroadcastOctet - 1;
    private const uint FirstUsableOctet = NetworkOctet + 1;
    private const uint OctetValues = OctetMask + 1;

    private readonly RunTree _used = new();

    public PoolRange(AddressPool pool, AddressRange range)
    {
        Pool = pool;
        Range = range;
        Family = range.Family;
        First = range.First.Value;
        Last = range.Last.Value;
        SkipsBuggy = pool.AvoidBuggyIPs && Family == IpFamily.IPv4;
        Capacity = SkipsBuggy ? range.Size - Buggy(Last) + (First == 0 ? 0 : Buggy(First - 1)) : range.Size;
    }

    public AddressPool Pool { get; }

    public AddressRange Range { get; }

    public IpFamily Family { get; }

    public UInt128 First { get; }

    public UInt128 Last { get; }

    public bool SkipsBuggy { get; }

    /// <summary>Usable addresses in the range.</summary>
    public UInt128 Capacity { get; }

    /// <summary>Distinct addresses in use.</summary>
    public UInt128 InUse { get; private set; }

    public UInt128 Available => Capacity - InUse;

    public bool Contains(UInt128 a) => a >= First && a <= Last;

    public bool IsUsable(UInt128 a) => Contains(a) && (!SkipsBuggy || !IsBuggy(a));

    public bool IsUsed(UInt128 a) => _used.TryFloor(a, out _, out var end) && end >= a;

    /// <summary>The lowest usable address not in use, if any.</summary>
    public bool TryLowestFree(out UInt128 free)
    {
        if (!TryUsableFrom(First, out free))
        {
            return false;
        }
        // Runs are maximal over usable addresses, so the run holding the first usable address ends right
        // before the lowest free one.
        return !_used.TryFirst(out var start, out var end) || start != free || TryNext(end, out free);
    }

    public void MarkUsed(UInt128 a)
    {
        var hasLeft = _used.TryFloor(a, out var leftStart, out var leftEnd);
        var hasRight = _used.TryCeiling(a, out var rightStart, out var rightEnd);
        var joinsLeft = hasLeft && TryNext(leftEnd, out var afterLeft) && afterLeft == a;
        var joinsRight = hasRight && TryNext(a, out var afterA) && afterA == rightStart;
        if (joinsLeft && joinsRight)
        {
            _used.Remove(rightStart);
            _used.SetEnd(leftStart, rightEnd);
        }
        else if (joinsLeft)
        {
            _used.SetEnd(leftStart, a);
        }
        else if (joinsRight)
        {
            _used.Remove(rightStart);
            _used.Add(a, rightEnd);
        }
        else
        {
            _used.Add(a, a);
        }
        InUse++;
    }

    public void MarkFree(UInt128 a)
    {
        if (!_used.TryFloor(a, out var start, out var end) || end < a)
        {
            throw new InvalidOperationException("address is not in use");
        }
        if (start == a)
        {
            _used.Remove(start);
            if (end != a && TryNext(a, out var next))
            {
                _used.Add(next, end);
            }
        }
        else
        {
            TryPrevious(a, out var previous);
            _used.SetEnd(start, previous);
            if (end != a && TryNext(a, out var next))
            {
                _used.Add(next, end);
            }
        }
        InUse--;
    }

    public void Clear()
    {
        _used.Clear();
        InUse = 0;
    }

    /// <summary>Number of runs: how fragmented the range is (tests and benchmarks).</summary>
    public int Runs => _used.Count;

    private static bool IsBuggy(UInt128 a) => ((uint)a & OctetMask) is NetworkOctet or BroadcastOctet;

    /// <summary>Addresses ending in .0 or .255 among 0..n.</summary>
    private static UInt128 Buggy(UInt128 n) => UpTo(n, NetworkOctet) + UpTo(n, BroadcastOctet);

    private static UInt128 UpTo(UInt128 n, uint octet) => n >= octet ? ((n - octet) / OctetValues) + 1 : 0;

    private bool TryUsableFrom(UInt128 a, out UInt128 usable)
    {
        usable = a;
        if (SkipsBuggy)
        {
            var octet = (uint)a & OctetMask;
            usable = octet == NetworkOctet ? a + 1 : octet == BroadcastOctet ? a + 2 : a;
        }
        return usable >= a && usable <= Last;
    }

    private bool TryNext(UInt128 a, out UInt128 next)
    {
        next = default;
        if (a >= Last)
        {
            return false;
        }
        // From .254 the next usable is .1 of the following /24.
        next = SkipsBuggy && ((uint)a & OctetMask) == LastUsableOctet ? a + 3 : a + 1;
        return next <= Last;
    }

    private bool TryPrevious(UInt128 a, out UInt128 previous)
    {
        previous = default;
        if (a <= First)
        {
            return false;
        }
        previous = SkipsBuggy && ((uint)a & OctetMask) == FirstUsableOctet ? a - 3 : a - 1;
        return previous >= First;
    }
}
