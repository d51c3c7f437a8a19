using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession;

/// <summary>
/// MetalLB's BFDProfile (same fields, ranges and defaults), plus authentication, which MetalLB
/// does not have. <see cref="Validate"/> names every field out of range; <see cref="BfdSessions"/>
/// refuses a profile with errors.
/// </summary>
public sealed record BfdProfile
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(60000);
    public const int MinDetectMultiplier = 2;
    public const int MaxDetectMultiplier = 255;
    public const int MinMinimumTtl = 1;
    public const int MaxMinimumTtl = 254;

    /// <summary>Our Required Min RX Interval: how often we are willing to receive (10–60000 ms, default 300).</summary>
    public TimeSpan ReceiveInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Our Desired Min TX Interval (10–60000 ms, default 300); 1 s while not Up (RFC 5880 §6.8.3).</summary>
    public TimeSpan TransmitInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Detect Mult (2–255, default 3): packets the peer may miss before it declares us down.</summary>
    public int DetectMultiplier { get; init; } = 3;

    /// <summary>
    /// MetalLB's echo transmit interval (10–60000 ms, default 50). Validated for compatibility; it
    /// only matters with <see cref="EchoMode"/>, which is declined, so it has no effect.
    /// </summary>
    public TimeSpan EchoInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The Echo function (RFC 5880 §6.4) is not implemented: true is a configuration error.</summary>
    public bool EchoMode { get; init; }

    /// <summary>RFC 5880 §6.1 passive role: send nothing until the peer's first packet arrives.</summary>
    public bool PassiveMode { get; init; }

    /// <summary>Multi-hop only: the lowest TTL accepted on received packets (1–254, default 254). Single-hop always requires 255.</summary>
    public int MinimumTtl { get; init; } = 254;

    /// <summary>RFC 5880 §6.7 authentication; null for none.</summary>
    public BfdAuthKey? Authentication { get; init; }

    public IReadOnlyList<BfdConfigError> Validate()
    {
        var errors = new List<BfdConfigError>();
        CheckInterval(errors, "receiveInterval", ReceiveInterval);
        CheckInterval(errors, "transmitInterval", TransmitInterval);
        CheckInterval(errors, "echoInterval", EchoInterval);
        if (DetectMultiplier is < MinDetectMultiplier or > MaxDetectMultiplier)
        {
            errors.Add(new("detectMultiplier", $"{DetectMultiplier} is outside {MinDetectMultiplier}-{MaxDetectMultiplier}"));
        }
        if (MinimumTtl is < MinMinimumTtl or > MaxMinimumTtl)
        {
            errors.Add(new("minimumTtl", $"{MinimumTtl} is outside {MinMinimumTtl}-{MaxMinimumTtl}"));
        }
        if (EchoMode)
        {
            errors.Add(new("echoMode", "the BFD Echo function (RFC 5880 §6.4) is not implemented by bgplb; set echoMode to false"));
        }
        return errors;
    }

    private static void CheckInterval(List<BfdConfigError> errors, string field, TimeSpan value)
    {
        if (value < MinInterval || value > MaxInterval)
        {
            errors.Add(new(field, $"{value.TotalMilliseconds} ms is outside {MinInterval.TotalMilliseconds}-{MaxInterval.TotalMilliseconds} ms"));
        }
    }

    /// <summary>The FSM's view (microseconds on the wire).</summary>
    internal BfdSessionParameters ToParameters() => new()
    {
        DesiredMinTxInterval = (uint)(TransmitInterval.Ticks / TimeSpan.TicksPerMicrosecond),
        RequiredMinRxInterval = (uint)(ReceiveInterval.Ticks / TimeSpan.TicksPerMicrosecond),
        DetectMultiplier = (byte)DetectMultiplier,
        Passive = PassiveMode,
        Auth = Authentication,
    };
}
