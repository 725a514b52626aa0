using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Server.Common;

namespace Platform.Server.Functions.Definitions;

/// <summary>The JSON of a definition as the admin API answers it and as <c>_functions</c>/<c>_function_versions</c> hold it.</summary>
public static class FunctionDefinitionJson
{
    /// <summary><c>{ name, code, enabled, schedule, triggers, callable, timeoutSeconds, memoryMb, retries, fetchAllowlist, version, updatedAt, updatedBy }</c>.</summary>
    public static JsonObject ToJson(FunctionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new JsonObject
        {
            ["name"] = definition.Name,
            ["code"] = definition.Code,
            ["enabled"] = definition.Enabled,
            ["schedule"] = definition.Schedule is { } s ? new JsonObject { ["cron"] = s.Cron, ["timeZone"] = s.TimeZone } : null,
            ["triggers"] = new JsonArray([.. definition.Triggers.Select(t => (JsonNode)new JsonObject
            {
                ["collection"] = t.Collection,
                ["on"] = new JsonArray([.. t.On.Select(o => (JsonNode)JsonValue.Create(o.Name()))]),
                ["phase"] = t.Phase.Name(),
            })]),
            ["callable"] = definition.Callable is { } c ? new JsonObject { ["invokeRule"] = c.InvokeRule } : null,
            ["timeoutSeconds"] = definition.TimeoutSeconds,
            ["memoryMb"] = definition.MemoryMb,
            ["retries"] = definition.Retries,
            ["fetchAllowlist"] = new JsonArray([.. definition.FetchAllowlist.Select(h => (JsonNode)JsonValue.Create(h))]),
            ["version"] = definition.Version,
            ["updatedAt"] = Timestamps.Format(definition.UpdatedAt),
            ["updatedBy"] = definition.UpdatedBy,
        };
    }

    /// <summary>Reads a definition the server wrote (API shape, or a stored document with system fields).</summary>
    public static FunctionDefinition FromJson(JsonObject json, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new FunctionDefinition
        {
            Name = name,
            Code = json["code"]!.GetValue<string>(),
            Enabled = json["enabled"]?.GetValue<bool>() ?? true,
            Schedule = json["schedule"] is JsonObject s
                ? new FunctionSchedule(s["cron"]!.GetValue<string>(), s["timeZone"]?.GetValue<string>() ?? "UTC")
                : null,
            Triggers = [.. (json["triggers"] as JsonArray ?? []).OfType<JsonObject>().Select(t => new FunctionTrigger(
                t["collection"]!.GetValue<string>(),
                [.. (t["on"] as JsonArray ?? []).Select(o => Operation(o!.GetValue<string>()))],
                t["phase"]?.GetValue<string>() == "before" ? TriggerPhase.Before : TriggerPhase.After))],
            Callable = json["callable"] is JsonObject c ? new FunctionCallable(c["invokeRule"]?.GetValue<string>()) : null,
            TimeoutSeconds = json["timeoutSeconds"]?.GetValue<int>() ?? FunctionOptions.DefaultTimeoutSeconds,
            MemoryMb = json["memoryMb"]?.GetValue<int>() ?? FunctionOptions.DefaultMemoryMb,
            Retries = json["retries"]?.GetValue<int>() ?? FunctionOptions.DefaultRetries,
            FetchAllowlist = [.. (json["fetchAllowlist"] as JsonArray ?? []).Select(h => h!.GetValue<string>())],
            Version = json["version"]?.GetValue<int>() ?? 0,
            UpdatedAt = json["updatedAt"] is JsonValue at
                ? DateTimeOffset.Parse(at.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : default,
            UpdatedBy = json["updatedBy"]?.GetValue<string>(),
        };
    }

    private static TriggerOperation Operation(string text) => text switch
    {
        "create" => TriggerOperation.Create,
        "update" => TriggerOperation.Update,
        "delete" => TriggerOperation.Delete,
        _ => throw new FormatException($"Unknown trigger operation '{text}' in a stored function."),
    };
}
