namespace BgpLb.Allocator.Ranges;

/// <summary>
/// Disjoint runs [Start, End] of numbers, keyed by Start, in an AVL tree: floor, ceiling, insert and remove
/// are O(log n) in the number of runs. The caller keeps runs maximal (merges neighbours), so a pool filled
/// from the bottom is a single run however many addresses it holds.
/// SortedSet was the alternative, but its GetViewBetween counts the view, O(n) per floor query.
/// </summary>
internal sealed class RunTree
{
    private Node? _root;

    public int Count { get; private set; }

    /// <summary>The run with the greatest Start ≤ <paramref name="x"/>.</summary>
    public bool TryFloor(UInt128 x, out UInt128 start, out UInt128 end)
    {
        Node? best = null;
        for (var n = _root; n is not null;)
        {
            if (n.Start <= x)
            {
                best = n;
                n = n.Right;
            }
            else
            {
                n = n.Left;
            }
        }
        return Out(best, out start, out end);
    }

    /// <summary>The run with the smallest Start ≥ <paramref name="x"/>.</summary>
    public bool TryCeiling(UInt128 x, out UInt128 start, out UInt128 end)
    {
        Node? best = null;
        for (var n = _root; n is not null;)
        {
            if (n.Start >= x)
            {
                best = n;
                n = n.Left;
            }
            else
            {
                n = n.Right;
            }
        }
        return Out(best, out start, out end);
    }

    /// <summary>The lowest run.</summary>
    public bool TryFirst(out UInt128 start, out UInt128 end)
    {
        var n = _root;
        while (n?.Left is not null)
        {
            n = n.Left;
        }
        return Out(n, out start, out end);
    }

    public void Add(UInt128 start, UInt128 end)
    {
        _root = Insert(_root, start, end);
        Count++;
    }

    public void Remove(UInt128 start)
    {
        _root = Delete(_root, start);
        Count--;
    }

    /// <summary>Moves the end of the run starting at <paramref name="start"/>; the key does not change, so neither does the shape.</summary>
    public void SetEnd(UInt128 start, UInt128 end)
    {
        for (var n = _root; n is not null; n = start < n.Start ? n.Left : n.Right)
        {
            if (n.Start == start)
            {
                n.End = end;
                return;
            }
        }
        throw new InvalidOperationException("no run starts there");
    }

    public void Clear()
    {
        _root = null;
        Count = 0;
    }

    private static bool Out(Node? n, out UInt128 start, out UInt128 end)
    {
        start = n?.Start ?? default;
        end = n?.End ?? default;
        return n is not null;
    }

    private static int Height(Node? n) => n?.Height ?? 0;

    private static Node Insert(Node? n, UInt128 start, UInt128 end)
    {
        if (n is null)
        {
            return new Node(start, end);
        }
        if (start < n.Start)
        {
            n.Left = Insert(n.Left, start, end);
        }
        else if (start > n.Start)
        {
            n.Right = Insert(n.Right, start, end);
        }
        else
        {
            throw new InvalidOperationException("a run already starts there");
        }
        return Balance(n);
    }

    private static Node? Delete(Node? n, UInt128 start)
    {
        if (n is null)
        {
            throw new InvalidOperationException("no run starts there");
        }
        if (start < n.Start)
        {
            n.Left = Delete(n.Left, start);
        }
        else if (start > n.Start)
        {
            n.Right = Delete(n.Right, start);
        }
        else
        {
            if (n.Left is null)
            {
                return n.Right;
            }
            if (n.Right is null)
            {
                return n.Left;
            }
            // Two children: take the successor's place.
            var successor = n.Right;
            while (successor.Left is not null)
            {
                successor = successor.Left;
            }
            n.Start = successor.Start;
            n.End = successor.End;
            n.Right = Delete(n.Right, successor.Start);
        }
        return Balance(n);
    }

    private static Node Balance(Node n)
    {
        Update(n);
        var skew = Height(n.Left) - Height(n.Right);
        if (skew > 1)
        {
            if (Height(n.Left!.Left) < Height(n.Left.Right))
            {
                n.Left = RotateLeft(n.Left);
            }
            return RotateRight(n);
        }
        if (skew < -1)
        {
            if (Height(n.Right!.Right) < Height(n.Right.Left))
            {
                n.Right = RotateRight(n.Right);
            }
            return RotateLeft(n);
        }
        return n;
    }

    private static Node RotateRight(Node n)
    {
        var l = n.Left!;
        n.Left = l.Right;
        l.Right = n;
        Update(n);
        Update(l);
        return l;
    }

    private static Node RotateLeft(Node n)
    {
        var r = n.Right!;
        n.Right = r.Left;
        r.Left = n;
        Update(n);
        Update(r);
        return r;
    }

    private static void Update(Node n) => n.Height = 1 + Math.Max(Height(n.Left), Height(n.Right));

    private sealed class Node(UInt128 start, UInt128 end)
    {
        public UInt128 Start = start;
        public UInt128 End = end;
        public Node? Left;
        public Node? Right;
        public int Height = 1;
    }
}
