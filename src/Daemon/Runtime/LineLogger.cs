using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// One line per event on a writer (DESIGN §4): text ("2026-11-24T04:30:00.123Z info Category[Event] message")
/// or one JSON object per line. Written here rather than taken from Microsoft.Extensions.Logging.Console,
/// whose default layout spreads an event over two lines and whose options stack costs memory a
/// 64 MiB daemon does not have to spare.
/// </summary>
public sealed class LineLoggerProvider(TextWriter output, bool json, LogLevel minimum, TimeProvider time) : ILoggerProvider, ILoggerFactory
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose() => output.Flush();

    /// <summary>The daemon writes its log to one place; a second provider would be a second format on the same stream.</summary>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("the line logger is the daemon's only log provider");

    private void Write(string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        var now = time.GetUtcNow();
        string line;
        if (json)
        {
            line = JsonLine(now, category, level, eventId, message, exception);
        }
        else
        {
            var evt = eventId.Name ?? (eventId.Id != 0 ? eventId.Id.ToString(CultureInfo.InvariantCulture) : null);
            line = string.Create(CultureInfo.InvariantCulture,
                $"{now:yyyy-MM-ddTHH:mm:ss.fffZ} {Level(level)} {category}{(evt is null ? "" : "[" + evt + "]")} {OneLine(message)}{(exception is null ? "" : " | " + OneLine(exception.ToString()))}");
        }
        lock (_write)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private static string JsonLine(DateTimeOffset now, string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            writer.WriteString("level", Level(level));
            writer.WriteString("category", category);
            writer.WriteNumber("eventId", eventId.Id);
            if (eventId.Name is { } name)
            {
                writer.WriteString("event", name);
            }
            writer.WriteString("message", message);
            if (exception is not null)
            {
                writer.WriteString("exception", exception.ToString());
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    /// <summary>A message with a line break would split one event over two lines (YAML errors quote text).</summary>
    private static string OneLine(string text) => text.Contains('\n', StringComparison.Ordinal) ? text.ReplaceLineEndings(" ⏎ ") : text;

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }

    private readonly LogLevel _minimum = minimum;
}
