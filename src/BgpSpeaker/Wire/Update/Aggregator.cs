namespace BgpLb.BgpSpeaker.Wire;

/// <summary>AGGREGATOR (RFC 4271 §5.1.7): the aggregating AS (4-octet) and its BGP Identifier.</summary>
public readonly record struct Aggregator(uint Asn, uint Address);
