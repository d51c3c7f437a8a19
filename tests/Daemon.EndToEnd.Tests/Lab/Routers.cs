namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>The routers a theory runs against, by name.</summary>
internal static class Routers
{
    public static Router Create(string kind, EndToEndLab lab, RouterSetup setup) => kind switch
    {
        "bird" => new BirdRouter(lab, setup),
        "frr" => new FrrRouter(lab, setup),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "bird or frr"),
    };
}
