using System.Net;

namespace BgpLb.L2Fallback.Liveness;

/// <summary>A daemon taking part in the heartbeat: its node name and the UDP endpoint it listens on.</summary>
public sealed record LivenessMember(string Name, IPEndPoint Endpoint);
