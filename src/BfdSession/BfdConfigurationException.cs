namespace BgpLb.BfdSession;

/// <summary>A session was refused: every error found, each naming its field.</summary>
public sealed class BfdConfigurationException : Exception
{
    public BfdConfigurationException(IReadOnlyList<BfdConfigError> errors)
        : base(string.Join("; ", errors ?? []))
    {
        Errors = errors ?? [];
    }

    public BfdConfigurationException()
        : this([])
    {
    }

    public BfdConfigurationException(string message)
        : base(message)
    {
        Errors = [];
    }

    public BfdConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public IReadOnlyList<BfdConfigError> Errors { get; }
}
