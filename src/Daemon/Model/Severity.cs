namespace BgpLb.Daemon.Model;

/// <summary>How much a <see cref="Diagnostic"/> matters: only errors make a configuration invalid.</summary>
public enum Severity
{
    Info,
    Warning,
    Error,
}
