namespace BgpLb.Fuzz;

/// <summary>
/// The decoder returned without throwing but broke a property the fuzz target checks (round trip,
/// segmentation independence, consumption). Escapes to SharpFuzz, which reports it as a crash.
/// </summary>
internal sealed class FuzzOracleException(string message) : Exception(message);
