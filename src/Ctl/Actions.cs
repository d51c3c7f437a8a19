using BgpLb.Admin.V1;
using Grpc.Core;

namespace BgpLb.Ctl;

/// <summary>The verbs that change something, and the event stream.</summary>
internal static class Actions
{
    public static async Task<int> Reload(Context c)
    {
        var response = await c.Client().ReloadAsync(new ReloadRequest(), deadline: c.Deadline);
        await Commands.Emit(c, response, () => response.Applied
            ? "reloaded: the configuration is applied\n"
            : "rejected: the last good configuration keeps running\n" + string.Concat(response.Errors.Select(e => "  " + e + "\n")));
        return response.Applied ? 0 : Program.ExitFailure;
    }

    /// <summary>
    /// Sends a file, or every *.yaml / *.yml of a folder (named as <c>bgplb validate --config FOLDER</c>
    /// names them: the folder as given, then the file name), for the daemon to check as a reload would.
    /// </summary>
    public static async Task<int> Validate(Context c, FileSystemInfo path)
    {
        var request = new ValidateRequest();
        if (path is DirectoryInfo folder)
        {
            var given = path.ToString();
            foreach (var file in folder.EnumerateFiles().Where(f => f.Name.EndsWith(".yaml", StringComparison.Ordinal) || f.Name.EndsWith(".yml", StringComparison.Ordinal))
                .OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                request.Files.Add(new ValidateFile { Name = Path.Combine(given, file.Name), Content = await File.ReadAllTextAsync(file.FullName) });
            }
            if (request.Files.Count == 0)
            {
                // The loader's own words for a folder a reload could not read either.
                await c.Error.WriteLineAsync($"error: {given}: the folder holds no .yaml or .yml file");
                return Program.ExitFailure;
            }
        }
        else
        {
            request.FileName = path.Name;
            request.Content = await File.ReadAllTextAsync(path.FullName);
        }
        var response = await c.Client().ValidateAsync(request, deadline: c.Deadline);
        await Commands.Emit(c, response, () => response.Valid
            ? $"valid: {response.Summary}\n" + string.Concat(response.Warnings.Select(w => "  " + w + "\n"))
            : $"invalid: {response.Errors.Count} error(s)\n" + string.Concat(response.Errors.Concat(response.Warnings).Select(e => "  " + e + "\n")));
        return response.Valid ? 0 : Program.ExitFailure;
    }

    public static async Task<int> Reset(Context c, string peer, bool soft)
    {
        var response = await c.Client().ResetPeerAsync(new ResetPeerRequest { Name = peer, Soft = soft }, deadline: c.Deadline);
        return await Commands.Emit(c, response, () => soft
            ? $"{peer}: every route re-sent (route refresh out)\n"
            : $"{peer}: session reset (Cease / Administrative Reset), reconnecting\n");
    }

    public static async Task<int> Drain(Context c, bool statusOnly)
    {
        var client = c.Client();
        var status = statusOnly
            ? await client.GetDrainAsync(new GetDrainRequest(), deadline: c.Deadline)
            : await client.DrainAsync(new DrainRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, status, () => Describe(status));
    }

    public static async Task<int> Undrain(Context c)
    {
        var status = await c.Client().UndrainAsync(new UndrainRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, status, () => Describe(status));
    }

    private static string Describe(DrainStatus status) => status.Phase switch
    {
        "GracefulShutdown" => $"draining since {Commands.Time(status.Since)}: routes carry GRACEFUL_SHUTDOWN (65535:0), withdrawn at {Commands.Time(status.WithdrawAt)}\n",
        "Withdrawn" => $"drained since {Commands.Time(status.Since)}: every route is withdrawn\n",
        _ => $"serving since {Commands.Time(status.Since)}\n",
    };

    /// <summary>Streams events until <paramref name="count"/> have come (0: until interrupted); JSON and YAML print one document per event.</summary>
    public static async Task<int> Events(Context c, int count)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        using var call = c.Client().Watch(new WatchRequest(), cancellationToken: cancel.Token);
        var seen = 0;
        try
        {
            await foreach (var e in call.ResponseStream.ReadAllAsync(cancel.Token))
            {
                await Commands.Emit(c, e, () => $"{Commands.Time(e.Time)}  {e.Kind,-15} {e.Subject}  {e.Message}\n");
                if (c.Format == "yaml")
                {
                    await c.Output.WriteLineAsync("---");
                }
                await c.Output.FlushAsync();
                if (count > 0 && ++seen >= count)
                {
                    break;
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancel.IsCancellationRequested)
        {
            // Ctrl-C.
        }
        return 0;
    }
}
