using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Reads one YAML mapping field by field, as Kubernetes' strict decoding does: each value must have the
/// type the schema says (a quoted "64512" is not a number), and <see cref="RejectUnknown"/> reports every
/// field nobody asked for, so a misspelt or unsupported field is an error instead of silently ignored.
/// </summary>
internal sealed class Fields
{
    private readonly YamlMappingNode _map;
    private readonly DocumentContext _context;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Fields(YamlMappingNode map, string path, DocumentContext context)
    {
        _map = map;
        Path = path;
        _context = context;
    }

    public string Path { get; }

    public YamlNode Node => _map;

    public DocumentContext Context => _context;

    public string Sub(string key) => Path.Length == 0 ? key : Path + "." + key;

    public void Error(string key, string message) => _context.Error(Find(key) ?? _map, Sub(key), message);

    public void Warning(string key, string message) => _context.Warning(Find(key) ?? _map, Sub(key), message);

    public bool Has(string key) => Find(key) is not null and not YamlScalarNode { Value: null or "" or "null" or "~", Style: ScalarStyle.Plain };

    /// <summary>Marks fields as read without reading them: parts of Kubernetes objects that are not ours to judge.</summary>
    public void Ignore(params string[] keys)
    {
        foreach (var key in keys)
        {
            _read.Add(key);
        }
    }

    /// <summary>Every field not read is an error naming it; <paramref name="unsupported"/> gets a message saying we know it but do not implement it.</summary>
    public void RejectUnknown(IReadOnlyDictionary<string, string>? unsupported = null)
    {
        foreach (var (keyNode, _) in _map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (_read.Contains(key))
            {
                continue;
            }
            var why = unsupported is not null && unsupported.TryGetValue(key, out var reason) ? reason : "unknown field";
            _context.Error(keyNode, Sub(key), why);
        }
    }

    public YamlNode? Find(string key)
    {
        _read.Add(key);
        return _map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;
    }

    public string? String(string key, bool required = false)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            if (required)
            {
                _context.Error(node ?? _map, Sub(key), "required");
            }
            return null;
        }
        if (node is not YamlScalarNode scalar)
        {
            _context.Error(node, Sub(key), "must be a string");
            return null;
        }
        if (required && string.IsNullOrEmpty(scalar.Value))
        {
            _context.Error(node, Sub(key), "required");
            return null;
        }
        return scalar.Value;
    }

    public bool? Bool(string key)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            return null;
        }
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }
        _context.Error(node, Sub(key), $"{Quote(node)} is not a boolean (true or false)");
        return null;
    }

    /// <summary>An integer in [min, max]; quoted numbers are refused as the Kubernetes API refuses them.</summary>
    public long? Integer(string key, long min, long max, bool required = false)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            if (required)
            {
                _context.Error(node ?? _map, Sub(key), "required");
            }
            return null;
        }
        if (node is not YamlScalarNode { Style: ScalarStyle.Plain } scalar
            || !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            _context.Error(node, Sub(key), $"{Quote(node)} is not an integer");
            return null;
        }
        if (value < min || value > max)
        {
            _context.Error(node, Sub(key), string.Create(CultureInfo.InvariantCulture, $"{value} is out of range [{min}, {max}]"));
            return null;
        }
        return value;
    }

    /// <summary>A Go duration string ("90s", "1m30s"), as metav1.Duration is written.</summary>
    public TimeSpan? Duration(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }
        if (!GoDuration.TryParse(text, out var value))
        {
            Error(key, $"\"{text}\" is not a duration (such as \"90s\" or \"1m30s\")");
            return null;
        }
        return value;
    }

    public Fields? Map(string key)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            return null;
        }
        if (node is YamlMappingNode map)
        {
            return new Fields(map, Sub(key), _context);
        }
        _context.Error(node, Sub(key), "must be a mapping");
        return null;
    }

    /// <summary>The items of a sequence, each with its path (<c>spec.addresses[2]</c>).</summary>
    public IEnumerable<(string Path, YamlNode Node)> Items(string key)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            yield break;
        }
        if (node is not YamlSequenceNode sequence)
        {
            _context.Error(node, Sub(key), "must be a list");
            yield break;
        }
        var i = 0;
        foreach (var item in sequence.Children)
        {
            yield return (Sub(key) + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", item);
            i++;
        }
    }

    public IEnumerable<(string Path, Fields Item)> MapItems(string key)
    {
        foreach (var (path, node) in Items(key))
        {
            if (node is YamlMappingNode map)
            {
                yield return (path, new Fields(map, path, _context));
            }
            else
            {
                _context.Error(node, path, "must be a mapping");
            }
        }
    }

    /// <summary>A list of strings; with <paramref name="unique"/> a repeated entry is an error, as in MetalLB's validateDuplicate.</summary>
    public ImmutableArray<(string Path, YamlNode Node, string Value)> Strings(string key, bool unique = false)
    {
        var result = ImmutableArray.CreateBuilder<(string, YamlNode, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, node) in Items(key))
        {
            if (node is not YamlScalarNode { Value: not null } scalar || IsNull(node))
            {
                _context.Error(node, path, "must be a string");
                continue;
            }
            if (unique && !seen.Add(scalar.Value))
            {
                _context.Error(node, path, $"duplicate entry \"{scalar.Value}\"");
                continue;
            }
            result.Add((path, node, scalar.Value));
        }
        return result.ToImmutable();
    }

    public ImmutableDictionary<string, string> StringMap(string key)
    {
        var node = Find(key);
        if (node is null || IsNull(node))
        {
            return ImmutableDictionary<string, string>.Empty;
        }
        if (node is not YamlMappingNode map)
        {
            _context.Error(node, Sub(key), "must be a mapping of strings");
            return ImmutableDictionary<string, string>.Empty;
        }
        var result = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            if (v is not YamlScalarNode { Value: not null } scalar)
            {
                _context.Error(v, Sub(key) + "." + name, "must be a string");
                continue;
            }
            result[name] = scalar.Value;
        }
        return result.ToImmutable();
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "null" or "~" };

    public static string Quote(YamlNode node) => node switch
    {
        YamlScalarNode s => "\"" + s.Value + "\"",
        YamlSequenceNode => "a list",
        _ => "a mapping",
    };
}
