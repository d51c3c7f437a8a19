using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>A NOTIFICATION sent or received, and when: what an operator reads first after a session drop.</summary>
public sealed record NotificationSeen(NotificationMessage Message, DateTimeOffset Time);
