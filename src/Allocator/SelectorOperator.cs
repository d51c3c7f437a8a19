namespace BgpLb.Allocator;

/// <summary>The operators of a Kubernetes label selector's <c>matchExpressions</c>.</summary>
public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}
