using Xunit;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// The BIRD and bfdd interop tests assert a detection bound (3 x 50 ms plus slack). xunit runs the
/// other test classes of this assembly (property and fuzz tests that keep both cores busy and
/// allocate hard) in parallel by default, and on a 2-core machine that stalled our in-process
/// sessions for 800 ms in CI. This collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PeerInteropRunsAlone
{
    public const string Name = "BFD peer interop";
}
