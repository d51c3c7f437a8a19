using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BgpLb.Ctl;

/// <summary>
/// YAML from the API's JSON (the protobuf JSON mapping): block style, strings quoted as JSON strings
/// (valid YAML 1.2 double-quoted scalars), so no value can be misread as a number, bool or null.
/// </summary>
internal static class Yaml
{
    public static string FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var text = new StringBuilder();
        // The root starts at the first column, like a sequence item's content: no line of its own.
        Write(text, document.RootElement, 0, inSequence: true);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonElement element, int indent, bool inSequence)
    {
        var pad = new string(' ', indent);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (!element.EnumerateObject().Any())
                {
                    text.Append(inSequence ? "{}\n" : " {}\n");
                    return;
                }
                if (!inSequence)
                {
                    text.Append('\n');
                }
                var first = true;
                foreach (var property in element.EnumerateObject())
                {
                    // The first key of a sequence item goes on the "- " line.
                    text.Append(first && inSequence ? "" : pad).Append(Quote(property.Name)).Append(':');
                    first = false;
                    WriteValue(text, property.Value, indent + 2);
                }
                return;
            case JsonValueKind.Array:
                if (element.GetArrayLength() == 0)
                {
                    text.Append(inSequence ? "[]\n" : " []\n");
                    return;
                }
                if (!inSequence)
                {
                    text.Append('\n');
                }
                foreach (var item in element.EnumerateArray())
                {
                    text.Append(pad).Append("- ");
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        Write(text, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        text.Append(Scalar(item)).Append('\n');
                    }
                }
                return;
            default:
                text.Append(Scalar(element)).Append('\n');
                return;
        }
    }

    private static void WriteValue(StringBuilder text, JsonElement value, int indent)
    {
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            Write(text, value, indent, inSequence: false);
        }
        else
        {
            text.Append(' ').Append(Scalar(value)).Append('\n');
        }
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Quote(value.GetString()!),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => value.GetRawText().ToString(CultureInfo.InvariantCulture),
    };

    // A JSON string is a YAML double-quoted scalar (YAML 1.2 §7.3.1). JsonEncodedText escapes as
    // JsonSerializer does, without its reflection, which Native AOT refuses.
    private static string Quote(string text) => "\"" + JsonEncodedText.Encode(text).ToString() + "\"";
}
