using System.Buffers;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rfc7606;

/// <summary>
/// Replays the inputs of FRR's 2022–2023 BGP parser CVEs (Vectors/malformed/cve-*.hex; each file
/// names the CVE, FRR's fix commit and what a correct parser does) and pins our outcome.
/// </summary>
public sealed class CveReplayTests
{
    private static readonly CodecOptions Ebgp = new() { FourOctetAsn = true, ExternalPeer = true };
    private static readonly CodecOptions Ibgp = new() { FourOctetAsn = true, ExternalPeer = false };
    private static readonly IpPrefix TenSlash24 = IpPrefix.Parse("10.0.0.0/24");

    private static (OperationStatus Status, BgpMessage? Message, BgpError Error) Decode(string vector, CodecOptions options)
    {
        var status = MessageReader.TryRead(HexVector.Load($"malformed/{vector}"), options, out var decoded, out var error);
        return (status, decoded, error);
    }

    [Theory]
    [InlineData("cve-2023-38802-tunnel-encap-len-3.hex", BgpErrorReason.MalformedOptionalAttribute)]
    [InlineData("cve-2023-38802-tunnel-encap-tlv-overrun.hex", BgpErrorReason.MalformedOptionalAttribute)]
    [InlineData("cve-2023-38802-tunnel-encap-subtlv-overrun.hex", BgpErrorReason.MalformedOptionalAttribute)]
    [InlineData("cve-2023-38802-tunnel-encap-flags.hex", BgpErrorReason.AttributeFlagsInvalid)]
    public void Cve_2023_38802_malformed_tunnel_encapsulation_is_treat_as_withdraw_never_a_reset(string vector, BgpErrorReason reason)
    {
        var (status, message, error) = Decode(vector, Ebgp);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.TreatAsWithdraw, error.Action);
        Assert.Equal(reason, error.Reason);
        Assert.Equal((byte)AttributeType.TunnelEncapsulation, error.AttributeType);
        var update = Assert.IsType<UpdateMessage>(message);
        Assert.Contains(new Nlri(TenSlash24), update.Nlri);
        // The corrupt attribute must not be kept for propagation (the "worm" effect).
        Assert.DoesNotContain(update.Attributes.Other, a => a.TypeCode == (byte)AttributeType.TunnelEncapsulation);
    }

    [Fact]
    public void Cve_2023_41358_nlri_with_no_path_attributes_is_treat_as_withdraw_for_missing_well_known_attributes()
    {
        var (status, message, error) = Decode("cve-2023-41358.hex", Ebgp);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.TreatAsWithdraw, error.Action);
        Assert.Equal(BgpErrorReason.MissingWellKnownAttribute, error.Reason);
        var update = Assert.IsType<UpdateMessage>(message);
        Assert.Equal(PathAttributes.Empty, update.Attributes);
        Assert.Equal([new Nlri(TenSlash24)], update.Nlri.AsSpan().ToArray());
    }

    [Fact]
    public void Cve_2023_41359_aigp_with_a_trailing_octet_is_discarded_and_the_ipv6_route_kept()
    {
        var (status, message, error) = Decode("cve-2023-41359-ipv6.hex", Ibgp);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.AttributeDiscard, error.Action);
        Assert.Equal(BgpErrorReason.MalformedOptionalAttribute, error.Reason);
        Assert.Equal((byte)AttributeType.Aigp, error.AttributeType);
        var attributes = Assert.IsType<UpdateMessage>(message).Attributes;
        Assert.DoesNotContain(attributes.Other, a => a.TypeCode == (byte)AttributeType.Aigp);
        var reach = Assert.IsType<MpReach>(attributes.MpReach);
        Assert.Equal([new Nlri(IpPrefix.Parse("2001:db8:1::/64"))], reach.Nlri.AsSpan().ToArray());
        Assert.Equal(100u, attributes.LocalPref);
    }

    [Fact]
    public void Cve_2023_41359_aigp_with_a_trailing_octet_is_discarded_and_the_ipv4_route_kept()
    {
        var (status, message, error) = Decode("cve-2023-41359-ipv4.hex", Ibgp);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.AttributeDiscard, error.Action);
        Assert.Equal(BgpErrorReason.MalformedOptionalAttribute, error.Reason);
        var update = Assert.IsType<UpdateMessage>(message);
        Assert.DoesNotContain(update.Attributes.Other, a => a.TypeCode == (byte)AttributeType.Aigp);
        Assert.Contains(new Nlri(TenSlash24), update.Nlri);
    }

    [Fact]
    public void Cve_2023_41360_route_refresh_with_orf_entries_is_an_invalid_length_route_refresh_error_carrying_the_message()
    {
        var bytes = HexVector.Load("malformed/cve-2023-41360.hex");

        var status = MessageReader.TryRead(bytes, Ebgp, out var decoded, out var error);

        // RFC 7313 §5: we negotiate no ORF, so anything but 23 octets is 7/1, data = the message.
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(decoded);
        Assert.Equal(ErrorAction.SessionReset, error.Action);
        Assert.Equal(BgpErrorCode.RouteRefresh, error.Code);
        Assert.Equal((byte)RouteRefreshSubcode.InvalidMessageLength, error.Subcode);
        Assert.Equal(BgpErrorReason.RouteRefreshLengthInvalid, error.Reason);
        Assert.Equal(bytes, error.Data.ToArray());
    }

    [Fact]
    public void Cve_2023_41361_oversized_software_version_capability_is_kept_whole_as_an_unknown_capability()
    {
        var (status, message, error) = Decode("cve-2023-41361.hex", CodecOptions.Default);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.None, error.Action);
        var open = Assert.IsType<OpenMessage>(message);
        Assert.Equal(65001u, open.Asn);
        var capability = Assert.IsType<UnknownCapability>(Assert.Single(open.Capabilities));
        Assert.Equal((byte)CapabilityCode.SoftwareVersion, capability.RawCode);
        Assert.Equal(101, capability.Value.Count);
        Assert.Equal(100, capability.Value[0]);
        Assert.All(capability.Value.AsSpan()[1..].ToArray(), b => Assert.Equal((byte)'A', b));
    }

    [Fact]
    public void Cve_2023_47234_ipv4_nlri_beside_an_ipv6_end_of_rib_is_treat_as_withdraw_not_end_of_rib()
    {
        var (status, message, error) = Decode("cve-2023-47234.hex", Ebgp);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.TreatAsWithdraw, error.Action);
        Assert.Equal(BgpErrorReason.MissingWellKnownAttribute, error.Reason);
        var update = Assert.IsType<UpdateMessage>(message);
        var unreach = Assert.IsType<MpUnreach>(update.Attributes.MpUnreach);
        Assert.Equal(AfiSafi.IPv6Unicast, unreach.Family);
        Assert.True(unreach.Withdrawn.IsEmpty);
        Assert.Equal([new Nlri(TenSlash24)], update.Nlri.AsSpan().ToArray());
        Assert.False(update.IsEndOfRib(out _));
    }

    [Fact]
    public void Cve_2023_47235_empty_unknown_attribute_with_add_path_nlri_is_treat_as_withdraw_not_end_of_rib()
    {
        var options = Ebgp with { AddPathReceive = AddPathFamilies.IPv4Unicast };

        var (status, message, error) = Decode("cve-2023-47235.hex", options);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.TreatAsWithdraw, error.Action);
        Assert.Equal(BgpErrorReason.MissingWellKnownAttribute, error.Reason);
        var update = Assert.IsType<UpdateMessage>(message);
        Assert.False(update.IsEndOfRib(out _));
        Assert.Equal(
            [
                new Nlri(IpPrefix.Parse("0.0.0.0/0"), 0x010100eb),
                new Nlri(IpPrefix.Parse("0.0.0.0/0"), 0xac100b0b),
                new Nlri(IpPrefix.Parse("11.11.0.0/16"), 0x1ad908ac),
            ],
            update.Nlri.AsSpan().ToArray());
        // The empty unknown optional transitive attribute itself is legal (RFC 4271 §5).
        var unknown = Assert.Single(update.Attributes.Other);
        Assert.Equal(0xFF, unknown.TypeCode);
        Assert.True(unknown.Value.IsEmpty);
    }

    [Fact]
    public void Cve_2023_47235_without_add_path_the_nlri_field_is_invalid_and_the_session_resets()
    {
        var (status, message, error) = Decode("cve-2023-47235.hex", Ebgp);

        // RFC 7606 §5.3: prefix length 235 > 32 -> Invalid Network Field.
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(message);
        Assert.Equal(ErrorAction.SessionReset, error.Action);
        Assert.Equal(BgpErrorCode.Update, error.Code);
        Assert.Equal((byte)UpdateSubcode.InvalidNetworkField, error.Subcode);
        Assert.Equal(BgpErrorReason.PrefixLengthInvalid, error.Reason);
    }

    [Fact]
    public void Cve_2023_47235_reporters_open_decodes_with_add_path_for_ipv4()
    {
        var (status, message, error) = Decode("cve-2023-47235-open.hex", CodecOptions.Default);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.None, error.Action);
        var open = Assert.IsType<OpenMessage>(message);
        Assert.Equal(65002u, open.Asn);
        var addPath = Assert.IsType<AddPathCapability>(open.Find<AddPathCapability>());
        Assert.Equal([new AddPathFamily(AfiSafi.IPv4Unicast, AddPathMode.Both)], addPath.Families.AsSpan().ToArray());
        Assert.Equal((ushort)120, Assert.IsType<GracefulRestartCapability>(open.Find<GracefulRestartCapability>()).RestartTime);
    }

    [Theory]
    [InlineData("cve-2022-43681-a.hex")]
    [InlineData("cve-2022-43681-b.hex")]
    [InlineData("cve-2022-43681-c.hex")]
    public void Cve_2022_43681_open_truncated_after_optional_parameters_length_is_an_open_message_error(string vector)
    {
        AssertOpenUnspecificError(vector);
    }

    [Fact]
    public void Cve_2022_40318_truncated_extended_optional_parameter_header_is_an_open_message_error()
    {
        AssertOpenUnspecificError("cve-2022-40318.hex");
    }

    [Fact]
    public void Cve_2022_40302_truncated_extended_optional_parameter_header_is_an_open_message_error()
    {
        AssertOpenUnspecificError("cve-2022-40302.hex");
    }

    [Fact]
    public void Cve_2022_40318_control_well_formed_extended_optional_parameters_decode()
    {
        var (status, message, error) = Decode("cve-2022-40318-control.hex", CodecOptions.Default);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.None, error.Action);
        var open = Assert.IsType<OpenMessage>(message);
        Assert.True(open.ExtendedParameters);
        Assert.Equal(65001u, Assert.IsType<FourOctetAsnCapability>(Assert.Single(open.Capabilities)).Asn);
    }

    private static void AssertOpenUnspecificError(string vector)
    {
        var (status, message, error) = Decode(vector, CodecOptions.Default);

        // RFC 4271 §6.2: no specific subcode fits a truncated parameter area; FRR's fix sends 2/0 too.
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(message);
        Assert.Equal(ErrorAction.SessionReset, error.Action);
        Assert.Equal(BgpErrorCode.Open, error.Code);
        Assert.Equal((byte)OpenSubcode.Unspecific, error.Subcode);
        Assert.Equal(BgpErrorReason.OptionalParametersOverrun, error.Reason);
    }
}
