using Platform.Sdk.Functions;

namespace Platform.Admin.Components;

/// <summary>The editable fields of a function on its page; <see cref="ToDefinition"/> makes the definition to save.</summary>
public sealed class FunctionForm
{
    public string Code { get; set; } = string.Empty;

    public bool Enabled { get; set; }

    public string? Cron { get; set; }

    public string? TimeZone { get; set; }

    public bool Callable { get; set; }

    public string? InvokeRule { get; set; }

    public int? TimeoutSeconds { get; set; }

    public int? MemoryMb { get; set; }

    public int? Retries { get; set; }

    /// <summary>One host per line.</summary>
    public string? FetchAllowlist { get; set; }

    public List<TriggerForm> Triggers { get; } = [];

    public static FunctionForm From(FunctionInfo function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var form = new FunctionForm
        {
            Code = function.Code,
            Enabled = function.Enabled,
            Cron = function.Schedule?.Cron,
            TimeZone = function.Schedule?.TimeZone,
            Callable = function.Callable is not null,
            InvokeRule = function.Callable?.InvokeRule,
            TimeoutSeconds = function.TimeoutSeconds,
            MemoryMb = function.MemoryMb,
            Retries = function.Retries,
            FetchAllowlist = string.Join('\n', function.FetchAllowlist),
        };
        form.Triggers.AddRange(function.Triggers.Select(t => new TriggerForm
        {
            Collection = t.Collection,
            Phase = t.Phase,
            Create = t.On.Contains("create"),
            Update = t.On.Contains("update"),
            Delete = t.On.Contains("delete"),
        }));
        return form;
    }

    /// <summary>The definition to save. Nothing is validated here: the server names the field at fault.</summary>
    public FunctionDefinition ToDefinition(string name)
    {
        var definition = new FunctionDefinition
        {
            Name = name,
            Code = Code,
            Enabled = Enabled,
            Schedule = string.IsNullOrWhiteSpace(Cron)
                ? null
                : new FunctionSchedule(Cron.Trim(), string.IsNullOrWhiteSpace(TimeZone) ? "UTC" : TimeZone.Trim()),
            Callable = Callable ? new FunctionCallable(string.IsNullOrWhiteSpace(InvokeRule) ? null : InvokeRule.Trim()) : null,
            TimeoutSeconds = TimeoutSeconds,
            MemoryMb = MemoryMb,
            Retries = Retries,
        };
        foreach (var host in (FetchAllowlist ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            definition.FetchAllowlist.Add(host);
        }

        foreach (var trigger in Triggers)
        {
            definition.Triggers.Add(new FunctionTrigger(trigger.Collection.Trim(), trigger.On, trigger.Phase));
        }

        return definition;
    }
}

/// <summary>One trigger as edited: the collection, the write kinds and the phase.</summary>
public sealed class TriggerForm
{
    public string Collection { get; set; } = string.Empty;

    public string Phase { get; set; } = "after";

    public bool Create { get; set; } = true;

    public bool Update { get; set; }

    public bool Delete { get; set; }

    public IReadOnlyList<string> On =>
        [.. new[] { (Create, "create"), (Update, "update"), (Delete, "delete") }.Where(x => x.Item1).Select(x => x.Item2)];
}

/// <summary>A list of runs loaded page by page (history or dead letters).</summary>
public sealed class RunListState(bool deadLetters)
{
    public bool DeadLetters { get; } = deadLetters;

    public List<FunctionRun> Items { get; } = [];

    public string? NextCursor { get; set; }

    public bool Loading { get; set; }

    public bool Loaded { get; set; }

    public Exception? Error { get; set; }
}
