namespace BgpLb.Daemon.Cluster;

/// <summary>How a <see cref="NodeStateWriter"/> paces its writes and bounds the object (docs/kubernetes.md, NodeState).</summary>
public sealed record NodeStateOptions
{
    /// <summary>At most one status write per this long: a burst of changes is one write of the newest state at the window's end.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the state is looked at when nothing wakes the writer: BFD states and prefix counts change
    /// without an event the writer hears; comparing costs no API call.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the stored object is read back, so one deleted or edited by someone else is put right.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The first wait after a failed API call; each further failure in a row doubles it up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Entries of <c>status.services</c> at most (the CRD's maxItems).</summary>
    public int MaxServices { get; init; } = DefaultMaxServices;

    /// <summary>
    /// JSON bytes of <c>status.services</c> at most, so that the object stays well under etcd's 1.5 MiB request
    /// limit however many Services there are (the sessions' lists add about 0.3 KiB per session).
    /// </summary>
    public int MaxServiceBytes { get; init; } = 512 * 1024;

    public const int DefaultMaxServices = 1000;
}
