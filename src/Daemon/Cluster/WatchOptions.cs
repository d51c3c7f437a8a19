namespace BgpLb.Daemon.Cluster;

/// <summary>How a <see cref="ResourceWatch"/> paces itself.</summary>
public sealed record WatchOptions
{
    /// <summary>
    /// The server ends each watch after this long (timeoutSeconds) and the watch resumes from its last
    /// resourceVersion; client-go picks 5 to 10 minutes. Each watch asks for a random time between this
    /// and twice this, so replicas do not all come back at once.
    /// </summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long past <see cref="WatchTimeout"/> a silent connection is trusted before it is dropped and the watch resumed.</summary>
    public TimeSpan StallSlack { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after an error; each further error in a row doubles it up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Objects per page of a list (limit/continue), so 10,000 Services are not one response.</summary>
    public int PageSize { get; init; } = 500;
}
