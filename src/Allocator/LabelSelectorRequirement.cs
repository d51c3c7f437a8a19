using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>One <c>matchExpressions</c> entry: key, operator, values.</summary>
public sealed record LabelSelectorRequirement(string Key, SelectorOperator Operator, ImmutableArray<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            SelectorOperator.In => has && Values.Contains(value!, StringComparer.Ordinal),
            // Kubernetes: NotIn also matches objects without the key.
            SelectorOperator.NotIn => !has || !Values.Contains(value!, StringComparer.Ordinal),
            SelectorOperator.Exists => has,
            SelectorOperator.DoesNotExist => !has,
            _ => false,
        };
    }
}
