using System.Collections;
using System.Collections.Immutable;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// An immutable array with value equality, so that message records compare by content
/// (an <see cref="ImmutableArray{T}"/> compares by reference).
/// </summary>
public readonly struct ValueArray<T> : IEquatable<ValueArray<T>>, IReadOnlyList<T>
{
    private readonly T[]? _items;

    public ValueArray(T[] items) => _items = items;

    public int Count => _items?.Length ?? 0;

    public bool IsEmpty => Count == 0;

    public T this[int index] => (_items ?? [])[index];

    public ReadOnlySpan<T> AsSpan() => _items;

    public static implicit operator ValueArray<T>(T[] items) => new(items);

    public bool Equals(ValueArray<T> other) => AsSpan().SequenceEqual(other.AsSpan());

    /// <summary>Equal at the cost of a reference compare when both share one array (or both are empty): the route-set layout compares 100,000 routes' attributes.</summary>
    internal bool FastEquals(ValueArray<T> other) => ReferenceEquals(_items, other._items) || Equals(other);

    public override bool Equals(object? obj) => obj is ValueArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in AsSpan())
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }

    public static bool operator ==(ValueArray<T> left, ValueArray<T> right) => left.Equals(right);

    public static bool operator !=(ValueArray<T> left, ValueArray<T> right) => !left.Equals(right);

    public ReadOnlySpan<T>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => (_items ?? []).GetEnumerator();

    public override string ToString() => "[" + string.Join(", ", _items ?? []) + "]";
}
