using BgpLb.Fuzz;
using SharpFuzz;

// Under afl-fuzz (fuzz/run.sh): the SharpFuzz fork-server loop, one input per execution; an
// exception escaping DecoderTarget.Run is reported to AFL as a crash. Outside AFL:
// `dotnet BgpLb.Fuzz.dll --repro FILE...` runs saved inputs and prints what each one throws;
// `dotnet BgpLb.Fuzz.dll --seeds VECTORS_DIR OUT_DIR` writes the initial corpus (`--repro`
// over it before fuzzing, since afl-fuzz aborts on a seed that crashes).
if (args is ["--repro", .. var files])
{
    return Repro.Run(files);
}
if (args is ["--seeds", var vectors, var output])
{
    Console.WriteLine($"{Seeds.Write(vectors, output)} seeds from {vectors}");
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    DecoderTarget.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
