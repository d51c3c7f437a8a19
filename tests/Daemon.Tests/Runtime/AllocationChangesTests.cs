using BgpLb.Allocator;
using BgpLb.Daemon.Runtime;

namespace BgpLb.Daemon.Tests.Runtime;

public sealed class AllocationChangesTests
{
    private static AllocationResult Assigned(int i) =>
        new(new ServiceKey("shop", $"svc-{i}"), AllocationOutcome.Assigned)
        {
            Assignment = new Assignment(new ServiceKey("shop", $"svc-{i}"), "vips", [IpAddress.V4(0xC6120000u + (uint)i)]),
        };

    private static AllocationResult Failed(int i) =>
        new(new ServiceKey("shop", $"bad-{i}"), AllocationOutcome.Failed) { Error = new AllocationError(AllocationErrorKind.PoolExhausted) { Pool = "vips" } };

    [Fact]
    public void Up_to_the_detailed_count_every_change_is_kept_in_order()
    {
        var changes = new AllocationChanges(3, keepAll: false, failed: null);
        AllocationResult[] added = [Assigned(1), Failed(2), Assigned(3)];
        changes.AddRange(added);

        Assert.True(changes.IsDetailed);
        Assert.Equal(added, changes.All!);
        Assert.Equal([added[1]], changes.ProblemsOnly!);
        Assert.Equal((3, 1), (changes.Count, changes.Problems));
    }

    [Fact]
    public void Beyond_the_detailed_count_only_the_counts_and_few_problems_are_kept()
    {
        var changes = new AllocationChanges(3, keepAll: false, failed: null);
        changes.AddRange(Enumerable.Range(0, 1000).Select(Assigned));
        changes.Add(Failed(1));
        changes.Add(Failed(2));

        Assert.False(changes.IsDetailed);
        Assert.Null(changes.All);
        Assert.Equal([Failed(1), Failed(2)], changes.ProblemsOnly!);
        Assert.Equal((1002, 2), (changes.Count, changes.Problems));
    }

    [Fact]
    public void More_problems_than_the_detailed_count_are_counted_not_kept()
    {
        var changes = new AllocationChanges(3, keepAll: false, failed: null);
        changes.AddRange(Enumerable.Range(0, 4).Select(Failed));

        Assert.Null(changes.ProblemsOnly);
        Assert.Equal(4, changes.Problems);
    }

    [Fact]
    public void When_every_change_is_to_be_logged_all_are_kept()
    {
        var changes = new AllocationChanges(3, keepAll: true, failed: null);
        var added = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? Assigned(i) : Failed(i)).ToArray();
        changes.AddRange(added);

        Assert.Equal(added, changes.All!);
        Assert.Null(changes.ProblemsOnly);
    }

    [Fact]
    public void Every_failure_is_reported_as_it_comes_however_many()
    {
        var kinds = new List<AllocationErrorKind>();
        var changes = new AllocationChanges(3, keepAll: false, kinds.Add);
        changes.AddRange(Enumerable.Range(0, 100).Select(i => i % 4 == 0 ? Failed(i) : Assigned(i)));

        Assert.Equal(Enumerable.Repeat(AllocationErrorKind.PoolExhausted, 25), kinds);
    }
}
