namespace BgpLb.Daemon.Runtime;

/// <summary>Something the operator may want to watch happen (the admin API's event stream).</summary>
public sealed record DaemonEvent(DateTimeOffset Time, string Kind, string Subject, string Message)
{
    public const string ConfigApplied = "ConfigApplied";
    public const string ConfigRejected = "ConfigRejected";
    public const string Allocation = "Allocation";
    public const string SessionChanged = "SessionChanged";
    public const string Drain = "Drain";
}
