using Microsoft.Extensions.Logging;

namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>Every category logs into one <see cref="CollectingLogger"/>.</summary>
internal sealed class CollectingLoggerFactory : ILoggerFactory
{
    public CollectingLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("Only the collecting logger is used.");

    public void Dispose()
    {
    }
}
