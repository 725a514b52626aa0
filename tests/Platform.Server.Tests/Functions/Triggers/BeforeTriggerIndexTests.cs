using Platform.Server.Functions;
using Platform.Server.Functions.Triggers;

namespace Platform.Server.Tests.Functions.Triggers;

public sealed class BeforeTriggerIndexTests
{
    private static FunctionDefinition Function(string name, bool enabled = true, params FunctionTrigger[] triggers) =>
        new() { Name = name, Code = "x", Enabled = enabled, Triggers = triggers };

    private static FunctionTrigger Before(string collection, params TriggerOperation[] on) => new(collection, on, TriggerPhase.Before);

    [Fact]
    public void Find_ListsTheEnabledBeforeTriggersOfACollectionAndOperation_InNameOrder()
    {
        var index = BeforeTriggerIndex<FunctionDefinition[]>.Build(
            [
                Function("zeta", true, Before("orders", TriggerOperation.Create)),
                Function("alpha", true, Before("orders", TriggerOperation.Create, TriggerOperation.Update)),
                Function("off", false, Before("orders", TriggerOperation.Create)),
                Function("later", true, new FunctionTrigger("orders", [TriggerOperation.Create], TriggerPhase.After)),
                Function("elsewhere", true, Before("invoices", TriggerOperation.Delete)),
            ],
            list => list);

        Assert.Equal(["alpha", "zeta"], index.Find("orders", TriggerOperation.Create)!.Select(f => f.Name));
        Assert.Equal(["alpha"], index.Find("orders", TriggerOperation.Update)!.Select(f => f.Name));
        Assert.Null(index.Find("orders", TriggerOperation.Delete));
        Assert.Equal(["elsewhere"], index.Find("invoices", TriggerOperation.Delete)!.Select(f => f.Name));
        Assert.Null(index.Find("customers", TriggerOperation.Create));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Find_OnACollectionWithoutTriggers_ReturnsTheSameNullWithoutBuildingAnything()
    {
        var built = 0;
        var index = BeforeTriggerIndex<object>.Build([Function("a", true, Before("orders", TriggerOperation.Create))], list => { built++; return list; });
        Assert.Equal(1, built);
        Assert.Same(index.Find("orders", TriggerOperation.Create), index.Find("orders", TriggerOperation.Create));
        Assert.Null(index.Find("other", TriggerOperation.Create));
        Assert.Equal(1, built);
    }
}
