using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Platform.Server.Functions;
using Platform.Server.Functions.Triggers;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>The pure rules of after triggers: matching, event ids, backoff, skips, the checkpoint tracker, options.</summary>
public sealed class AfterTriggerEventsTests
{
    private static StoredChange Change(ChangeKind kind, string collection = "orders", string id = "a", string position = "7", WriteOrigin? origin = null) =>
        new(position, collection, id, kind, kind == ChangeKind.Insert ? null : new JsonObject { ["_id"] = id }, kind == ChangeKind.Delete ? null : new JsonObject { ["_id"] = id }, DateTimeOffset.UnixEpoch)
        {
            Origin = origin,
        };

    [Theory]
    [InlineData(ChangeKind.Insert, TriggerOperation.Create)]
    [InlineData(ChangeKind.Replace, TriggerOperation.Update)]
    [InlineData(ChangeKind.Delete, TriggerOperation.Delete)]
    public void Matches_TheOperationOfTheChange_OnTheTriggersCollection_AfterPhaseOnly(ChangeKind kind, TriggerOperation operation)
    {
        var function = FakeFunctionCatalog.AfterTrigger("f", "orders", operation);

        Assert.True(AfterTriggerEvents.Matches(function, Change(kind)));
        Assert.False(AfterTriggerEvents.Matches(function, Change(kind, collection: "orders2")));
        Assert.False(AfterTriggerEvents.Matches(function with { Enabled = false }, Change(kind)));
        Assert.False(AfterTriggerEvents.Matches(function with { Triggers = [new FunctionTrigger("orders", [operation], TriggerPhase.Before)] }, Change(kind)));
        Assert.All(
            Enum.GetValues<ChangeKind>().Where(k => k != kind),
            other => Assert.False(AfterTriggerEvents.Matches(function, Change(other))));
    }

    [Fact]
    public void Consumes_OnlyEnabledFunctionsWithAnAfterTrigger()
    {
        Assert.True(AfterTriggerEvents.Consumes(FakeFunctionCatalog.AfterTrigger("f", "orders")));
        Assert.False(AfterTriggerEvents.Consumes(FakeFunctionCatalog.AfterTrigger("f", "orders") with { Enabled = false }));
        Assert.False(AfterTriggerEvents.Consumes(FakeFunctionCatalog.AfterTrigger("f", "orders") with { Triggers = [] }));
    }

    [Fact]
    public void EventId_IsStablePerPosition_DistinctAcrossPositions_AndAValidDocumentId()
    {
        var token = new string('A', 400);

        Assert.Equal(AfterTriggerEvents.EventId("42"), AfterTriggerEvents.EventId("42"));
        Assert.NotEqual(AfterTriggerEvents.EventId("42"), AfterTriggerEvents.EventId("43"));
        Assert.Matches("^[0-9a-f]{32}$", AfterTriggerEvents.EventId(token));
        Assert.Equal(AfterTriggerEvents.EventId("42"), AfterTriggerEvents.ToEvent(Change(ChangeKind.Insert, position: "42")).Id);
    }

    [Fact]
    public void ToEvent_CarriesTypeCollectionIdAndImages()
    {
        var functionEvent = AfterTriggerEvents.ToEvent(Change(ChangeKind.Replace, id: "x"));

        Assert.Equal((TriggerOperation.Update, "orders", "x"), (functionEvent.Type, functionEvent.Collection, functionEvent.DocumentId));
        Assert.NotNull(functionEvent.Before);
        Assert.NotNull(functionEvent.After);
        Assert.Null(functionEvent.Data);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(9, 10)]
    [InlineData(60, 10)]
    public void RetryDelay_DoublesFromTheFirstDelay_UpToTheMaximum(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), AfterTriggerEvents.RetryDelay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)));

    [Fact]
    public void Skip_OwnWrites_AndChainsAtTheLimit_RunsEverythingElse()
    {
        var function = FakeFunctionCatalog.AfterTrigger("counter", "orders");

        Assert.Null(AfterTriggerEvents.Skip(function, Change(ChangeKind.Insert), 8));
        Assert.Equal(SkipReason.OwnWrite, AfterTriggerEvents.Skip(function, Change(ChangeKind.Insert, origin: new WriteOrigin("counter", 1)), 8));
        Assert.Null(AfterTriggerEvents.Skip(function, Change(ChangeKind.Insert, origin: new WriteOrigin("other", 7)), 8));
        Assert.Equal(SkipReason.ChainTooDeep, AfterTriggerEvents.Skip(function, Change(ChangeKind.Insert, origin: new WriteOrigin("other", 8)), 8));
    }

    [Fact]
    public void CheckpointTracker_MovesOnlyPastAnUnbrokenRunOfFinishedChanges()
    {
        var tracker = new CheckpointTracker("10");
        var a = tracker.Add("11");
        var b = tracker.Add("12");
        var c = tracker.Add("13");

        Assert.Equal(0, tracker.Complete(b));
        Assert.Equal(0, tracker.Complete(c));
        Assert.Equal("10", tracker.SafePosition);
        Assert.Equal(3, tracker.Pending);

        Assert.Equal(3, tracker.Complete(a));
        Assert.Equal("13", tracker.SafePosition);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void CheckpointTracker_SafePositionIf_CountsTheGivenChangesAsFinished_WithoutFinishingThem()
    {
        var tracker = new CheckpointTracker("10");
        var a = tracker.Add("11");
        var b = tracker.Add("12");
        var c = tracker.Add("13");
        var d = tracker.Add("14");
        tracker.Complete(b);

        Assert.Equal("10", tracker.SafePositionIf(new HashSet<CheckpointTracker.Entry>()));
        Assert.Equal("12", tracker.SafePositionIf(new HashSet<CheckpointTracker.Entry> { a }));
        Assert.Equal("12", tracker.SafePositionIf(new HashSet<CheckpointTracker.Entry> { a, d }));
        Assert.Equal("14", tracker.SafePositionIf(new HashSet<CheckpointTracker.Entry> { a, c, d }));
        Assert.Equal("10", tracker.SafePosition);
        Assert.Equal(4, tracker.Pending);
    }

    [Theory]
    [InlineData(30, 10, true)]
    [InlineData(30, 15, true)]
    [InlineData(30, 16, false)]
    [InlineData(0.5, 0.1, false)]
    [InlineData(30, 0, false)]
    public void Options_RenewAtMostHalfTheLease(double leaseSeconds, double renewSeconds, bool valid)
    {
        var options = new AfterTriggerOptions { LeaseDuration = TimeSpan.FromSeconds(leaseSeconds), LeaseRenewInterval = TimeSpan.FromSeconds(renewSeconds) };

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }
}
