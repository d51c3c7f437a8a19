using System.Buffers;

namespace BgpLb.Fuzz;

/// <summary>One link of a multi-segment <see cref="ReadOnlySequence{T}"/>, as a pipe would hand it over.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>
    /// <paramref name="data"/> as two segments split at <paramref name="split"/>, each in its own
    /// exactly sized array so that a read past either end throws instead of reading a neighbour.
    /// </summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, int split)
    {
        var first = new Segment(data[..split].ToArray(), 0);
        var second = new Segment(data[split..].ToArray(), split);
        first.Next = second;
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }
}
