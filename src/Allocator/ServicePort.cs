namespace BgpLb.Allocator;

/// <summary>One <c>spec.ports</c> entry as sharing sees it: two Services on one address may not both use it.</summary>
public readonly record struct ServicePort(int Port, TransportProtocol Protocol)
{
    /// <summary>"TCP/80", MetalLB's spelling.</summary>
    public override string ToString() => Protocol + "/" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
