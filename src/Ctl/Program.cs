using System.CommandLine;

namespace BgpLb.Ctl;

/// <summary><c>bgplbctl</c>: the admin API's command line (docs/operations.md). Exit codes: 0 ok, 1 failure, 2 usage.</summary>
internal static class Program
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = Commands.Create(output, error);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                error.WriteLine("error: " + problem.Message);
            }
            return ExitUsage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
