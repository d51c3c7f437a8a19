namespace BgpLb.Fuzz;

/// <summary>Replays saved fuzzer inputs (crashes, corpus entries) outside afl-fuzz.</summary>
internal static class Repro
{
    /// <returns>0 when every input passes, 1 when any throws.</returns>
    public static int Run(IReadOnlyList<string> files)
    {
        var failed = 0;
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            try
            {
                DecoderTarget.Run(input);
                Console.WriteLine($"ok    {file}");
            }
#pragma warning disable CA1031 // Any exception is the finding being reported.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failed++;
                Console.WriteLine($"CRASH {file}");
                Console.WriteLine($"  input: {Convert.ToHexString(input)}");
                if (input.Length > 0)
                {
                    Console.WriteLine($"  options: selector 0x{input[0]:x2} = {DecoderTarget.OptionsFor(input[0])}");
                }
                Console.WriteLine($"  {e.ToString().Replace("\n", "\n  ", StringComparison.Ordinal)}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
