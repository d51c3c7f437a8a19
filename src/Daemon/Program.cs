using System.CommandLine;

namespace BgpLb.Daemon;

/// <summary>The <c>bgplb</c> command line (DESIGN.md §4). Exit codes: 0 clean, 2 invalid configuration or arguments, 1 anything else.</summary>
internal static class Program
{
    public const int ExitInvalid = 2;

    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // run: unix socket modes of the admin API
    public static int Main(string[] args)
    {
        var root = new RootCommand("BgpLb: a load balancer for bare-metal Kubernetes with its own BGP speaker")
        {
            ValidateCommand.Create(Console.Out, Console.Error),
            RunCommand.Create(),
            ControllerCommand.Create(),
            SpeakerCommand.Create(),
            BfdWorker.BfdWorkerCommand.Create(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine("error: " + error.Message);
            }
            return ExitInvalid;
        }
        return parsed.Invoke();
    }
}
