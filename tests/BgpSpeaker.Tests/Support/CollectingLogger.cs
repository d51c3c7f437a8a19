using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>Keeps every log line, to assert that an event was logged with its fields.</summary>
internal sealed class CollectingLogger : ILogger
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((eventId, logLevel, formatter(state, exception)));
}
