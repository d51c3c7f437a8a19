namespace BgpLb.Allocator;

/// <summary><c>spec.externalTrafficPolicy</c>: with Local, Services may only share an address if they select the same pods.</summary>
public enum ExternalTrafficPolicy
{
    Cluster,
    Local,
}
