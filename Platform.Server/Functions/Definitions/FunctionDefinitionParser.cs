using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Rules;

namespace Platform.Server.Functions.Definitions;

/// <summary>
/// Turns an admin API body into a <see cref="FunctionDefinition"/> (DESIGN.md section 9), strictly: an unknown
/// field, a wrong type, a syntax error in the code, a bad cron or zone, a bad trigger or invoke rule, a limit
/// out of range or a bad allowlist entry is a 400 naming the field at fault, before anything is saved.
/// </summary>
public static class FunctionDefinitionParser
{
    private static readonly DateTimeOffset NeverReference = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Most hosts one allowlist may hold.</summary>
    public const int MaxAllowlistEntries = 100;

    /// <summary>Most triggers one function may have.</summary>
    public const int MaxTriggers = 32;

    /// <summary>A name that cannot be a function's: <c>/api/admin/functions/secrets</c> is the secrets API.</summary>
    public const string ReservedName = "secrets";

    private static readonly HashSet<string> KnownKeys =
    [
        "name", "code", "enabled", "schedule", "triggers", "callable", "timeoutSeconds", "memoryMb", "retries", "fetchAllowlist",

        // What GET answers, so a definition read back can be sent again unchanged; the server ignores them.
        "version", "updatedAt", "updatedBy", "nextRuns",
    ];

    /// <summary>Throws a 400 naming <paramref name="field"/> unless the name is a valid function name.</summary>
    public static string ValidateName(string? name, string field = "name")
    {
        if (!CollectionNames.IsValid(name) || name == ReservedName)
        {
            throw new InvalidInputException(
                "invalid_function_name",
                name == ReservedName
                    ? $"'{ReservedName}' is reserved (the secrets API lives at /api/admin/functions/secrets)."
                    : $"'{name}' is not a valid function name: use 1-63 characters, a lowercase letter first, then lowercase letters, digits, '_' or '-'.",
                field);
        }

        return name!;
    }

    /// <param name="body">The request body.</param>
    /// <param name="nameFromUrl">For PUT: the name in the URL, which the body may repeat but not contradict.</param>
    /// <param name="options">The limits definitions must stay within.</param>
    /// <param name="runtime">Checks the code's syntax.</param>
    /// <returns>The definition, with <see cref="FunctionDefinition.Version"/> 0 (the store assigns it).</returns>
    public static FunctionDefinition Parse(JsonObject body, string? nameFromUrl, FunctionOptions options, IFunctionRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runtime);
        foreach (var (key, _) in body)
        {
            if (!KnownKeys.Contains(key))
            {
                throw new InvalidInputException(
                    "unknown_field",
                    $"Unknown field '{key}' in a function definition (allowed: name, code, enabled, schedule, triggers, callable, timeoutSeconds, memoryMb, retries, fetchAllowlist).",
                    key);
            }
        }

        var name = body["name"] switch
        {
            null when nameFromUrl is not null => nameFromUrl,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            null => throw Invalid("'name' is required.", "name"),
            _ => throw Invalid("'name' must be a string.", "name"),
        };
        ValidateName(name);
        if (nameFromUrl is not null && name != nameFromUrl)
        {
            throw Invalid($"The body names '{name}' but the URL names '{nameFromUrl}'; renaming is not supported.", "name");
        }

        return new FunctionDefinition
        {
            Name = name,
            Code = ParseCode(body["code"], options, runtime),
            Enabled = ParseBool(body["enabled"], "enabled", true),
            Schedule = ParseSchedule(body["schedule"]),
            Triggers = ParseTriggers(body["triggers"]),
            Callable = ParseCallable(body["callable"]),
            TimeoutSeconds = ParseLimit(body["timeoutSeconds"], "timeoutSeconds", FunctionOptions.DefaultTimeoutSeconds, 1, options.MaxTimeoutSeconds, "Baas:Functions:MaxTimeoutSeconds"),
            MemoryMb = ParseLimit(body["memoryMb"], "memoryMb", FunctionOptions.DefaultMemoryMb, 1, options.MaxMemoryMb, "Baas:Functions:MaxMemoryMb"),
            Retries = ParseLimit(body["retries"], "retries", FunctionOptions.DefaultRetries, 0, options.MaxRetries, "Baas:Functions:MaxRetries"),
            FetchAllowlist = ParseAllowlist(body["fetchAllowlist"]),
        };
    }

    /// <summary>Checks a host[:port] allowlist entry: a DNS name, <c>localhost</c>, an IPv4 address or a bracketed IPv6 address, with an optional port.</summary>
    public static bool IsValidHost(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Length is 0 or > 262 || entry.Any(char.IsWhiteSpace))
        {
            return false;
        }

        string host;
        string? port = null;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest[1..];
            }

            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }
        }
        else
        {
            var colon = entry.LastIndexOf(':');
            if (colon >= 0)
            {
                host = entry[..colon];
                port = entry[(colon + 1)..];
            }
            else
            {
                host = entry;
            }

            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4) || host.Contains(':', StringComparison.Ordinal))
            {
                return false;
            }
        }

        return port is null || (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535);
    }

    private static string ParseCode(JsonNode? node, FunctionOptions options, IFunctionRuntime runtime)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            throw Invalid(node is null ? "'code' is required: a module whose default export is async function (ctx)." : "'code' must be a string.", "code");
        }

        var code = value.GetValue<string>();
        if (code.Length > options.MaxCodeLength)
        {
            throw new InvalidInputException("code_too_large", $"The code is {code.Length} characters long; at most {options.MaxCodeLength} are allowed (Baas:Functions:MaxCodeLength).", "code");
        }

        var errors = runtime.Check(code);
        if (errors.Count > 0)
        {
            var first = errors[0];
            var list = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject { ["path"] = "code", ["message"] = e.Message, ["line"] = e.Line, ["column"] = e.Column })]);
            throw new InvalidInputException("invalid_code", $"The code does not compile: {first.Message} (line {first.Line}, column {first.Column}).", "code")
            {
                Extensions = new Dictionary<string, object?> { ["errors"] = list, ["line"] = first.Line, ["column"] = first.Column },
            };
        }

        return code;
    }

    private static FunctionSchedule? ParseSchedule(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject schedule)
        {
            throw new InvalidInputException("invalid_schedule", "'schedule' must be an object like {\"cron\": \"0 3 * * *\", \"timeZone\": \"Europe/Berlin\"} or null.", "schedule");
        }

        foreach (var (key, _) in schedule)
        {
            if (key is not ("cron" or "timeZone"))
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' in schedule (allowed: cron, timeZone).", $"schedule.{key}");
            }
        }

        var cron = schedule["cron"] is JsonValue c && c.GetValueKind() == JsonValueKind.String
            ? c.GetValue<string>()
            : throw new InvalidInputException("invalid_schedule", "'schedule.cron' is required: a cron expression with 5 or 6 fields.", "schedule.cron");
        var zone = schedule["timeZone"] switch
        {
            null => "UTC",
            JsonValue z when z.GetValueKind() == JsonValueKind.String => z.GetValue<string>(),
            _ => throw new InvalidInputException("invalid_schedule", "'schedule.timeZone' must be an IANA time zone name.", "schedule.timeZone"),
        };
        var parsed = CronSchedule.Parse(cron, zone);

        // Cron has no year, so an expression that matches no date from 2000 on matches none ever ('0 0 30 2 *', the 31st
        // of a 30-day month): saved, it would look scheduled while it never runs, with an empty nextRuns.
        if (parsed.NextAfter(NeverReference) is null)
        {
            throw new InvalidInputException("invalid_schedule", $"'{cron}' matches no date (such as February 30th), so it would never run.", "schedule.cron");
        }

        return new FunctionSchedule(parsed.Cron, parsed.TimeZoneId);
    }

    private static List<FunctionTrigger> ParseTriggers(JsonNode? node)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw new InvalidInputException("invalid_trigger", "'triggers' must be an array.", "triggers");
        }

        if (array.Count > MaxTriggers)
        {
            throw new InvalidInputException("invalid_trigger", $"A function may have at most {MaxTriggers} triggers.", "triggers");
        }

        var result = new List<FunctionTrigger>();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"triggers[{i}]";
            if (array[i] is not JsonObject trigger)
            {
                throw new InvalidInputException("invalid_trigger", "Each trigger must be an object like {\"collection\": \"orders\", \"on\": [\"create\"], \"phase\": \"after\"}.", at);
            }

            foreach (var (key, _) in trigger)
            {
                if (key is not ("collection" or "on" or "phase"))
                {
                    throw new InvalidInputException("unknown_field", $"Unknown field '{key}' in a trigger (allowed: collection, on, phase).", $"{at}.{key}");
                }
            }

            var collection = trigger["collection"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : null;
            if (!CollectionNames.IsValid(collection))
            {
                throw new InvalidInputException("invalid_trigger", collection is null
                    ? "'collection' is required: the name of the collection whose writes run the function."
                    : $"'{collection}' is not a valid collection name.", $"{at}.collection");
            }

            if (trigger["on"] is not JsonArray on || on.Count == 0)
            {
                throw new InvalidInputException("invalid_trigger", "'on' must be a non-empty array of \"create\", \"update\", \"delete\".", $"{at}.on");
            }

            var operations = new List<TriggerOperation>();
            for (var o = 0; o < on.Count; o++)
            {
                TriggerOperation? operation = on[o] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() switch
                {
                    "create" => TriggerOperation.Create,
                    "update" => TriggerOperation.Update,
                    "delete" => TriggerOperation.Delete,
                    _ => null,
                } : null;
                if (operation is null)
                {
                    throw new InvalidInputException("invalid_trigger", $"'on' may hold only \"create\", \"update\" and \"delete\" (found {on[o]?.ToJsonString() ?? "null"}).", $"{at}.on[{o}]");
                }

                if (operations.Contains(operation.Value))
                {
                    throw new InvalidInputException("invalid_trigger", $"\"{operation.Value.Name()}\" appears twice in 'on'.", $"{at}.on[{o}]");
                }

                operations.Add(operation.Value);
            }

            var phase = trigger["phase"] switch
            {
                null => TriggerPhase.After,
                JsonValue p when p.GetValueKind() == JsonValueKind.String && p.GetValue<string>() == "after" => TriggerPhase.After,
                JsonValue p when p.GetValueKind() == JsonValueKind.String && p.GetValue<string>() == "before" => TriggerPhase.Before,
                _ => throw new InvalidInputException("invalid_trigger", "'phase' must be \"after\" (default) or \"before\".", $"{at}.phase"),
            };
            var parsed = new FunctionTrigger(collection!, operations, phase);
            if (result.Any(t => t.Collection == parsed.Collection && t.Phase == parsed.Phase))
            {
                throw new InvalidInputException("invalid_trigger", $"Two {phase.Name()} triggers on '{collection}'; list every operation in one trigger's 'on'.", at);
            }

            result.Add(parsed);
        }

        return result;
    }

    private static FunctionCallable? ParseCallable(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject callable)
        {
            throw Invalid("'callable' must be an object like {\"invokeRule\": \"auth != null\"} (or {} for service keys and admins only), or null.", "callable");
        }

        foreach (var (key, _) in callable)
        {
            if (key != "invokeRule")
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' in callable (allowed: invokeRule).", $"callable.{key}");
            }
        }

        switch (callable["invokeRule"])
        {
            case null:
                return new FunctionCallable(null);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var rule = value.GetValue<string>();
                try
                {
                    RuleCompiler.CompileInvoke(rule);
                    RuleCompiler.CheckAuthMembers(rule, "callable.invokeRule", invoke: true);
                }
                catch (InvalidInputException e)
                {
                    throw new InvalidInputException("invalid_rule", $"The invoke rule is not valid: {e.Message}", "callable.invokeRule", ErrorKind.Invalid, e.Position)
                    {
                        Errors = [new FieldError("callable.invokeRule", e.Message, e.Position)],
                    };
                }

                return new FunctionCallable(rule);
            default:
                throw new InvalidInputException("invalid_rule", "'invokeRule' must be a rule expression string (or null for service keys and admins only).", "callable.invokeRule");
        }
    }

    private static int ParseLimit(JsonNode? node, string field, int defaultValue, int min, int max, string configKey)
    {
        if (node is null)
        {
            return defaultValue;
        }

        if (!JsonIntegers.TryGet(node, out var number))
        {
            throw new InvalidInputException("invalid_limit", $"'{field}' must be a whole number from {min} to {max}.", field);
        }

        if (number < min || number > max)
        {
            throw new InvalidInputException("invalid_limit", $"'{field}' is {number}; it must be from {min} to {max} (the largest is set by {configKey}).", field);
        }

        return (int)number;
    }

    private static string? TryPunycode(string entry)
    {
        try
        {
            return new IdnMapping { UseStd3AsciiRules = true }.GetAscii(entry);
        }
        catch (ArgumentException)
        {
            return null; // not a host name IDNA allows (a zero-width space, a bidirectional control)
        }
    }

    private static List<string> ParseAllowlist(JsonNode? node)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw new InvalidInputException("invalid_allowlist", "'fetchAllowlist' must be an array of host names such as \"api.example.com\" or \"api.example.com:8443\".", "fetchAllowlist");
        }

        if (array.Count > MaxAllowlistEntries)
        {
            throw new InvalidInputException("invalid_allowlist", $"'fetchAllowlist' may hold at most {MaxAllowlistEntries} hosts.", "fetchAllowlist");
        }

        var result = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"fetchAllowlist[{i}]";
            var entry = array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (entry is not null && !Ascii.IsValid(entry))
            {
                // An entry is shown and compared as written: a Unicode name (or one holding an invisible character, which
                // looks like another host) is asked for in its ASCII form, the one DNS resolves and fetch compares.
                throw new InvalidInputException(
                    "invalid_allowlist",
                    $"'{JsonInput.Printable(entry)}' must be written in ASCII{(TryPunycode(entry) is { } ascii ? $" (as '{ascii}')" : string.Empty)}: internationalized host names are given in their xn-- form.",
                    at);
            }

            if (entry is null || !IsValidHost(entry))
            {
                throw new InvalidInputException(
                    "invalid_allowlist",
                    $"{(entry is null ? "Each entry" : $"'{entry}'")} must be a host[:port]: a DNS name, localhost, an IPv4 address or a bracketed IPv6 address, without scheme or path.",
                    at);
            }

            var normalized = entry.ToLowerInvariant();
            if (!result.Contains(normalized))
            {
                result.Add(normalized);
            }
        }

        return result;
    }

    private static bool ParseBool(JsonNode? node, string field, bool defaultValue) => node switch
    {
        null => defaultValue,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw Invalid($"'{field}' must be true or false.", field),
    };

    private static InvalidInputException Invalid(string message, string field) => new("invalid_definition", message, field);
}
