namespace BgpLb.L2Fallback;

/// <summary>How a new owner announces itself.</summary>
public sealed record L2AnnouncerOptions
{
    /// <summary>Announcements after the first one, sent when ownership is taken.</summary>
    public int AnnouncementRepeats { get; init; } = 3;

    /// <summary>
    /// Spacing of the repeats. Linux ignores an ARP update that comes within <c>locktime</c>
    /// (net.ipv4.neigh.*.locktime, 1 s by default) of the previous one, so a repeat must come later
    /// than that to replace an entry another host refreshed just before.
    /// </summary>
    public TimeSpan AnnouncementInterval { get; init; } = TimeSpan.FromMilliseconds(1100);
}
