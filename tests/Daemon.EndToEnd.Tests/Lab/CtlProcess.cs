using System.Diagnostics;
using System.Text.Json;

namespace BgpLb.Daemon.EndToEnd.Tests.Lab;

/// <summary>
/// <c>bgplbctl</c> as a process (<c>dotnet bgplbctl.dll</c>, put next to the tests by the ProjectReference),
/// optionally in a network namespace or as another user; its exit code and both outputs.
/// </summary>
internal static class CtlProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "bgplbctl.dll");

    public sealed record Result(int Code, string Stdout, string Stderr)
    {
        public JsonElement Json()
        {
            Assert.True(Code == 0, $"bgplbctl exited with {Code}\n{this}");
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }

        public override string ToString() => $"--- bgplbctl stdout ---\n{Stdout}\n--- bgplbctl stderr ---\n{Stderr}";
    }

    /// <param name="prefix">What runs it: e.g. <c>ip netns exec NS</c> or <c>setpriv --reuid nobody ...</c>; none: this process's user and namespace.</param>
    public static Result Run(IEnumerable<string> arguments, IEnumerable<string>? prefix = null, TimeSpan? timeout = null)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is missing: the ProjectReference to src/Ctl should have put it there");
        var command = (string[])[.. prefix ?? [], "dotnet", Dll, .. arguments];
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var bound = timeout ?? TimeSpan.FromSeconds(60);
        if (!process.WaitForExit(bound))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bgplbctl {string.Join(' ', arguments)} did not finish within {bound.TotalSeconds} s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a verb against the lab's daemon on its admin socket.</summary>
    public static Result At(EndToEndLab lab, params string[] arguments) => Run(["--socket", lab.AdminSocket, .. arguments]);

    /// <summary>A verb with <c>-o json</c>, which must succeed; its output parsed.</summary>
    public static JsonElement Json(EndToEndLab lab, params string[] arguments) => At(lab, [.. arguments, "-o", "json"]).Json();
}
