using System.Collections.Immutable;
using System.Text.RegularExpressions;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Label selectors and labels, checked as Kubernetes' metav1.LabelSelectorAsSelector checks them (which
/// is where MetalLB's "bad selector" errors come from), into the allocator's <see cref="LabelSelector"/>.
/// </summary>
internal static partial class Selectors
{
    private const int MaxNameLength = 63;
    private const int MaxPrefixLength = 253;

    public static ImmutableArray<LabelSelector> ReadList(Fields parent, string key)
    {
        var result = ImmutableArray.CreateBuilder<LabelSelector>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, item) in parent.MapItems(key))
        {
            var selector = Read(item);
            if (selector is null)
            {
                continue;
            }
            // MetalLB's validateLabelSelectorDuplicate: the same selector twice is a mistake, not an OR.
            if (!seen.Add(Canonical(selector)))
            {
                item.Context.Error(item.Node, path, "duplicate selector");
                continue;
            }
            result.Add(selector);
        }
        return result.ToImmutable();
    }

    public static LabelSelector? Read(Fields fields)
    {
        var errors = fields.Context.ErrorCount;
        var matchLabels = fields.StringMap("matchLabels");
        foreach (var (key, value) in matchLabels)
        {
            CheckLabel(fields, "matchLabels", key, value);
        }
        var expressions = ImmutableArray.CreateBuilder<LabelSelectorRequirement>();
        foreach (var (_, item) in fields.MapItems("matchExpressions"))
        {
            var key = item.String("key", required: true);
            var op = item.String("operator", required: true);
            var values = item.Strings("values");
            item.RejectUnknown();
            if (key is not null && !IsLabelKey(key))
            {
                item.Error("key", $"\"{key}\" is not a valid label key");
            }
            SelectorOperator? parsed = op switch
            {
                "In" => SelectorOperator.In,
                "NotIn" => SelectorOperator.NotIn,
                "Exists" => SelectorOperator.Exists,
                "DoesNotExist" => SelectorOperator.DoesNotExist,
                _ => null,
            };
            if (op is not null && parsed is null)
            {
                item.Error("operator", $"\"{op}\" is not a selector operator (In, NotIn, Exists, DoesNotExist)");
            }
            if (parsed is SelectorOperator.In or SelectorOperator.NotIn && values.IsEmpty)
            {
                item.Error("values", $"must be non-empty for operator {op}");
            }
            if (parsed is SelectorOperator.Exists or SelectorOperator.DoesNotExist && !values.IsEmpty)
            {
                item.Error("values", $"must be empty for operator {op}");
            }
            foreach (var (valuePath, node, value) in values)
            {
                if (!IsLabelValue(value))
                {
                    item.Context.Error(node, valuePath, $"\"{value}\" is not a valid label value");
                }
            }
            if (key is not null && parsed is not null)
            {
                expressions.Add(new LabelSelectorRequirement(key, parsed.Value, [.. values.Select(v => v.Value)]));
            }
        }
        fields.RejectUnknown();
        return fields.Context.ErrorCount > errors ? null : new LabelSelector { MatchLabels = matchLabels, MatchExpressions = expressions.ToImmutable() };
    }

    public static void CheckLabel(Fields parent, string key, string label, string value)
    {
        if (!IsLabelKey(label))
        {
            parent.Context.Error(parent.Find(key), parent.Sub(key) + "." + label, $"\"{label}\" is not a valid label key");
        }
        if (!IsLabelValue(value))
        {
            parent.Context.Error(parent.Find(key), parent.Sub(key) + "." + label, $"\"{value}\" is not a valid label value");
        }
    }

    /// <summary>Kubernetes qualified name: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.</summary>
    public static bool IsLabelKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            if (prefix.Length is 0 or > MaxPrefixLength || !DnsSubdomain().IsMatch(prefix))
            {
                return false;
            }
        }
        return name.Length is > 0 and <= MaxNameLength && Name().IsMatch(name);
    }

    public static bool IsLabelValue(string value) => value.Length == 0 || (value.Length <= MaxNameLength && Name().IsMatch(value));

    /// <summary>A text equal for equal selectors (labels in key order, expressions as written), to compare them.</summary>
    public static string Canonical(LabelSelector selector) =>
        string.Join(",", selector.MatchLabels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value))
        + ";" + string.Join(",", selector.MatchExpressions.Select(e => e.Key + " " + e.Operator + " (" + string.Join(",", e.Values) + ")"));

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex Name();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

}
