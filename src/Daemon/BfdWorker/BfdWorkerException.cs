namespace BgpLb.Daemon.BfdWorker;

/// <summary>The BFD worker refused a session (and why), did not answer in time, or is gone.</summary>
public sealed class BfdWorkerException : Exception
{
    public BfdWorkerException()
    {
    }

    public BfdWorkerException(string message)
        : base(message)
    {
    }

    public BfdWorkerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
