using System.Net;

namespace BgpLb.Daemon.Cluster;

/// <summary>The API server answered with an error status.</summary>
public sealed class ApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
