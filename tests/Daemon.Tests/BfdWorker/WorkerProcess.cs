namespace BgpLb.Daemon.Tests.BfdWorker;

/// <summary>The BFD worker as the tests start it: <c>ip netns exec NS dotnet bgplb.dll bfd-worker</c> (ip execs, so the worker is the child itself).</summary>
internal static class WorkerProcess
{
    /// <summary>bgplb.dll as the ProjectReference put it next to the tests.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "bgplb.dll");

    public static IReadOnlyList<string> CommandIn(string netns) => ["ip", "netns", "exec", netns, "dotnet", Dll, Daemon.BfdWorker.BfdWorkerCommand.Name];
}
