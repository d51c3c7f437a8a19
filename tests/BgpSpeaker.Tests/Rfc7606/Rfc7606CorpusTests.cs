using System.Buffers;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rfc7606;

/// <summary>
/// Replays every row of Vectors/rfc7606/cases.tsv: FRR's RFC 7606 conformance topotests, the extra
/// cases of FRR's test_attr_parse.c, and an RFC-derived checklist, against the UPDATE decoder.
/// </summary>
public sealed class Rfc7606CorpusTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var row in CorpusCase.All)
        {
            data.Add(row.DisplayName);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Corpus_row_decodes_to_its_expected_rfc7606_outcome(string row)
    {
        var c = CorpusCase.All.Single(x => x.DisplayName == row);
        var message = c.BuildMessage();

        var status = MessageReader.TryRead(message, c.Options, out var decoded, out var error);

        if (c.ExpectedAction == ErrorAction.SessionReset)
        {
            Assert.Equal(OperationStatus.InvalidData, status);
            Assert.Null(decoded);
            Assert.Equal(ErrorAction.SessionReset, error.Action);
            var (code, subcode) = c.ExpectedNotification ?? throw new InvalidOperationException($"{row}: reset row without notify");
            Assert.Equal((code, subcode), (error.Code, error.Subcode));
        }
        else
        {
            Assert.True(status == OperationStatus.Done, $"{row}: expected Done, got {status} ({error})");
            var update = Assert.IsType<UpdateMessage>(decoded);
            Assert.True(c.ExpectedAction == error.Action, $"{row}: expected {c.ExpectedAction}, got {error}");
            AssertMessageFor(c, update, error);
        }
        if (c.ExpectedReason is { } reason)
        {
            Assert.True(reason == error.Reason, $"{row}: expected reason {reason}, got {error}");
        }
    }

    private static void AssertMessageFor(CorpusCase c, UpdateMessage update, BgpError error)
    {
        switch (c.ExpectedAction)
        {
            case ErrorAction.AttributeDiscard:
                // RFC 7606 §2: the UPDATE is processed without the attribute; the baseline survives.
                var discarded = c.InsertedType ?? throw new InvalidOperationException($"{c.DisplayName}: discard row must append an attribute");
                Assert.Equal(discarded, error.AttributeType);
                // RFC 7606 §3(g): of a repeated attribute the first is kept.
                Assert.Equal(error.Reason == BgpErrorReason.DuplicateAttribute, Has(update.Attributes, discarded));
                Assert.Equal(Origin.Igp, update.Attributes.Origin);
                Assert.Equal(AsPath.Sequence(CorpusCase.BaselineAsn), update.Attributes.AsPath);
                Assert.Equal(CorpusCase.BaselineNextHop, update.Attributes.NextHop);
                Assert.Contains(new Nlri(CorpusCase.BaselinePrefix), update.Nlri);
                break;
            case ErrorAction.TreatAsWithdraw:
                // RFC 7606 §2: the session must be able to withdraw exactly this UPDATE's NLRI.
                if (c.Op == "message")
                {
                    Assert.False(update.Nlri.IsEmpty && update.Attributes.MpReach is null, $"{c.DisplayName}: no NLRI left to withdraw");
                }
                else
                {
                    Assert.Contains(new Nlri(CorpusCase.BaselinePrefix), update.Nlri);
                }
                break;
            case ErrorAction.None:
                if (c.InsertedType is { } kept && kept is not ((byte)AttributeType.As4Path or (byte)AttributeType.As4Aggregator))
                {
                    Assert.True(Has(update.Attributes, kept), $"{c.DisplayName}: attribute {kept} was not kept");
                }
                break;
        }
    }

    /// <summary>Whether the decoded attributes hold an attribute of <paramref name="type"/>, typed or opaque.</summary>
    private static bool Has(PathAttributes a, byte type) => (AttributeType)type switch
    {
        AttributeType.Origin => a.Origin.HasValue,
        AttributeType.AsPath => a.AsPath.HasValue,
        AttributeType.NextHop => a.NextHop is not null,
        AttributeType.MultiExitDisc => a.MultiExitDisc.HasValue,
        AttributeType.LocalPref => a.LocalPref.HasValue,
        AttributeType.AtomicAggregate => a.AtomicAggregate,
        AttributeType.Aggregator => a.Aggregator.HasValue,
        AttributeType.Communities => !a.Communities.IsEmpty,
        AttributeType.OriginatorId => a.OriginatorId.HasValue,
        AttributeType.ClusterList => !a.ClusterList.IsEmpty,
        AttributeType.MpReachNlri => a.MpReach is not null,
        AttributeType.MpUnreachNlri => a.MpUnreach is not null,
        AttributeType.ExtendedCommunities => !a.ExtendedCommunities.IsEmpty,
        AttributeType.LargeCommunity => !a.LargeCommunities.IsEmpty,
        _ => a.Other.Any(o => o.TypeCode == type),
    };

    [Fact]
    public void Corpus_holds_every_frr_conformance_case()
    {
        // Counted as FRR counts: distinct case names per suite (58 treat-as-withdraw, 26
        // attribute-discard, 4 session-reset), whatever our codec's outcome for them.
        int Suite(string suite) => CorpusCase.All
            .Where(c => c.Source.StartsWith($"frr:{suite}/", StringComparison.Ordinal))
            .Select(c => c.Source)
            .Distinct(StringComparer.Ordinal)
            .Count();

        Assert.True(Suite("withdraw") >= 58, $"treat-as-withdraw cases: {Suite("withdraw")}");
        Assert.True(Suite("discard") >= 26, $"attribute-discard cases: {Suite("discard")}");
        Assert.True(Suite("reset") >= 4, $"session-reset cases: {Suite("reset")}");
    }

    [Fact]
    public void Corpus_rows_cover_every_action_and_both_peer_sorts()
    {
        int Count(string action) => CorpusCase.All.Count(c => c.Action == action);

        Assert.True(Count("withdraw") >= 58);
        Assert.True(Count("discard") >= 26);
        Assert.True(Count("reset") >= 4);
        Assert.True(Count("none") >= 1);
        Assert.Contains(CorpusCase.All, c => c.Sort == "ebgp");
        Assert.Contains(CorpusCase.All, c => c.Sort == "ibgp");
    }

    [Fact]
    public void Corpus_rows_have_unique_names_and_explain_every_difference_from_frr()
    {
        var duplicates = CorpusCase.All.GroupBy(c => c.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);

        var unexplained = CorpusCase.All
            .Where(c => c.Frr is not ("-" or "skip") && c.Frr != c.Action && c.Note == "-")
            .Select(c => c.DisplayName)
            .ToList();
        Assert.Empty(unexplained);
    }

    [Fact]
    public void Repeated_attribute_keeps_the_first_instance()
    {
        var row = CorpusCase.All.Single(c => c.DisplayName == "attr-parse/repeated-attr [ebgp]");

        MessageReader.TryRead(row.BuildMessage(), row.Options, out var decoded, out _);

        Assert.Equal(10u, Assert.IsType<UpdateMessage>(decoded).Attributes.MultiExitDisc);
    }

    [Fact]
    public void Unrecognized_optional_attributes_propagate_only_when_transitive_and_with_partial_set()
    {
        // FRR attr_discard unknown-fd-nontransitive / unknown-fe-transitive (RFC 4271 §5).
        var row = CorpusCase.All.Single(c => c.DisplayName == "discard-suite/unknown-fd-nontransitive [ebgp]") with
        {
            Hex = "80fd04deadbeef" + "c0fe04deadbeef",
        };

        var status = MessageReader.TryRead(row.BuildMessage(), row.Options, out var decoded, out var error);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.None, error.Action);
        var propagated = Assert.IsType<UpdateMessage>(decoded).Attributes.ForPropagation().Other;
        var only = Assert.Single(propagated);
        Assert.Equal(0xFE, only.TypeCode);
        Assert.Equal(AttributeFlags.Optional | AttributeFlags.Transitive | AttributeFlags.Partial, only.Flags);
    }

    [Fact]
    public void As4_path_from_a_two_octet_speaker_is_merged_into_as_path()
    {
        // RFC 6793 §4.2.3: AS_PATH [65001 23456] + AS4_PATH [70000] -> [65001 70000].
        var attributes = Convert.FromHexString(
            "40010100" +            // ORIGIN IGP
            "4002060202fde95ba0" +  // AS_PATH AS_SEQUENCE [65001 23456], 2-octet
            "400304c0000202" +      // NEXT_HOP 192.0.2.2
            "c01106020100011170"); // AS4_PATH AS_SEQUENCE [70000]
        var options = new CodecOptions { FourOctetAsn = false, ExternalPeer = true };

        var status = MessageReader.TryRead(CorpusCase.Update(attributes, [32, 198, 18, 0, 1]), options, out var decoded, out var error);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ErrorAction.None, error.Action);
        Assert.Equal(AsPath.Sequence(65001, 70000), Assert.IsType<UpdateMessage>(decoded).Attributes.AsPath);
    }
}
