using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Functions;
using Platform.Server.Functions.Definitions;

namespace Platform.Server.Tests.Functions;

public sealed class FunctionDefinitionParserTests
{
    private static readonly FunctionOptions Options = new();
    private static readonly FakeFunctionRuntime Runtime = new();

    private static FunctionDefinition Parse(string json) => FunctionDefinitionParser.Parse(JsonNode.Parse(json)!.AsObject(), null, Options, Runtime);

    private static InvalidInputException Refuse(string json) => Assert.ThrowsAny<InvalidInputException>(() => Parse(json));

    [Fact]
    public void Parse_FullDefinition_ReadsEveryField()
    {
        var definition = Parse("""
            { "name": "orders-counter", "code": "export default async function (ctx) {}", "enabled": false,
              "schedule": { "cron": "0 3 * * *", "timeZone": "Europe/Berlin" },
              "triggers": [ { "collection": "orders", "on": ["create", "delete"], "phase": "after" } ],
              "callable": { "invokeRule": "auth != null && args.code in ['A', 'B']" },
              "timeoutSeconds": 30, "memoryMb": 64, "retries": 5, "fetchAllowlist": ["API.example.com", "10.0.0.5:8080", "[::1]:9000"] }
            """);
        Assert.Equal("orders-counter", definition.Name);
        Assert.False(definition.Enabled);
        Assert.Equal(new FunctionSchedule("0 3 * * *", "Europe/Berlin"), definition.Schedule);
        var trigger = Assert.Single(definition.Triggers);
        Assert.Equal([TriggerOperation.Create, TriggerOperation.Delete], trigger.On);
        Assert.Equal(TriggerPhase.After, trigger.Phase);
        Assert.Equal("auth != null && args.code in ['A', 'B']", definition.Callable!.InvokeRule);
        Assert.Equal((30, 64, 5), (definition.TimeoutSeconds, definition.MemoryMb, definition.Retries));
        Assert.Equal(["api.example.com", "10.0.0.5:8080", "[::1]:9000"], definition.FetchAllowlist);
    }

    [Theory]
    [InlineData("0 0 29 2 *")]
    [InlineData("0 12 31 * *")]
    [InlineData("0 0 0 30 1,4 *")]
    public void Parse_ScheduleOnRareButRealDates_IsAccepted(string cron) =>
        Assert.Equal(cron, Parse($$"""{ "name": "f", "code": "x", "schedule": { "cron": "{{cron}}" } }""").Schedule!.Cron);

    [Fact]
    public void Parse_Minimal_UsesTheDefaults()
    {
        var definition = Parse("""{ "name": "f", "code": "x" }""");
        Assert.True(definition.Enabled);
        Assert.Null(definition.Schedule);
        Assert.Null(definition.Callable);
        Assert.Empty(definition.Triggers);
        Assert.Equal((FunctionOptions.DefaultTimeoutSeconds, FunctionOptions.DefaultMemoryMb, FunctionOptions.DefaultRetries), (definition.TimeoutSeconds, definition.MemoryMb, definition.Retries));
    }

    [Theory]
    [InlineData("""{ "name": "f", "code": "x", "timeout": 5 }""", "unknown_field", "timeout")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": { "cron": "* * * * *", "tz": "UTC" } }""", "unknown_field", "schedule.tz")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "a", "on": ["create"], "when": "after" } ] }""", "unknown_field", "triggers[0].when")]
    [InlineData("""{ "name": "f", "code": "x", "callable": { "rule": "true" } }""", "unknown_field", "callable.rule")]
    [InlineData("""{ "name": "Bad Name", "code": "x" }""", "invalid_function_name", "name")]
    [InlineData("""{ "name": "secrets", "code": "x" }""", "invalid_function_name", "name")]
    [InlineData("""{ "name": "f" }""", "invalid_definition", "code")]
    [InlineData("""{ "name": "f", "code": 5 }""", "invalid_definition", "code")]
    [InlineData("""{ "name": "f", "code": "x", "enabled": "yes" }""", "invalid_definition", "enabled")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": { "cron": "* * *" } }""", "invalid_schedule", "schedule.cron")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": { "cron": "0 3 * * *", "timeZone": "Nowhere/City" } }""", "invalid_schedule", "schedule.timeZone")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": {} }""", "invalid_schedule", "schedule.cron")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": { "cron": "0 0 30 2 *" } }""", "invalid_schedule", "schedule.cron")]
    [InlineData("""{ "name": "f", "code": "x", "schedule": { "cron": "0 0 0 31 4,6,9,11 *", "timeZone": "Europe/Berlin" } }""", "invalid_schedule", "schedule.cron")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "Orders!", "on": ["create"] } ] }""", "invalid_trigger", "triggers[0].collection")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "orders", "on": [] } ] }""", "invalid_trigger", "triggers[0].on")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "orders", "on": ["insert"] } ] }""", "invalid_trigger", "triggers[0].on[0]")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "orders", "on": ["create", "create"] } ] }""", "invalid_trigger", "triggers[0].on[1]")]
    [InlineData("""{ "name": "f", "code": "x", "triggers": [ { "collection": "orders", "on": ["create"], "phase": "during" } ] }""", "invalid_trigger", "triggers[0].phase")]
    [InlineData("""{ "name": "f", "code": "x", "timeoutSeconds": 0 }""", "invalid_limit", "timeoutSeconds")]
    [InlineData("""{ "name": "f", "code": "x", "timeoutSeconds": 301 }""", "invalid_limit", "timeoutSeconds")]
    [InlineData("""{ "name": "f", "code": "x", "memoryMb": 100000 }""", "invalid_limit", "memoryMb")]
    [InlineData("""{ "name": "f", "code": "x", "retries": -1 }""", "invalid_limit", "retries")]
    [InlineData("""{ "name": "f", "code": "x", "retries": 1.5 }""", "invalid_limit", "retries")]
    [InlineData("""{ "name": "f", "code": "x", "retries": "3" }""", "invalid_limit", "retries")]
    [InlineData("""{ "name": "f", "code": "x", "fetchAllowlist": ["https://api.example.com"] }""", "invalid_allowlist", "fetchAllowlist[0]")]
    [InlineData("""{ "name": "f", "code": "x", "fetchAllowlist": ["ok.example.com", "api.example.com/path"] }""", "invalid_allowlist", "fetchAllowlist[1]")]
    [InlineData("""{ "name": "f", "code": "x", "fetchAllowlist": ["api.example.com:70000"] }""", "invalid_allowlist", "fetchAllowlist[0]")]
    [InlineData("""{ "name": "f", "code": "x", "fetchAllowlist": "api.example.com" }""", "invalid_allowlist", "fetchAllowlist")]
    public void Parse_BadInput_NamesTheField(string json, string code, string field)
    {
        var error = Refuse(json);
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Parse_SyntaxError_ListsLineAndColumn()
    {
        var error = Refuse("""{ "name": "f", "code": "export default async function (ctx) {\n  let x = SYNTAX_ERROR;\n}" }""");
        Assert.Equal("invalid_code", error.Code);
        var errors = Assert.IsType<JsonArray>(error.Extensions!["errors"]);
        var first = errors[0]!;
        Assert.Equal("code", first["path"]!.GetValue<string>());
        Assert.Equal(2, first["line"]!.GetValue<int>());
        Assert.Equal(11, first["column"]!.GetValue<int>());
    }

    [Fact]
    public void Parse_CodeLongerThanTheLimit_IsRefused()
    {
        var options = new FunctionOptions { MaxCodeLength = 10 };
        var error = Assert.Throws<InvalidInputException>(() => FunctionDefinitionParser.Parse(JsonNode.Parse("""{ "name": "f", "code": "01234567890" }""")!.AsObject(), null, options, Runtime));
        Assert.Equal("code_too_large", error.Code);
    }

    [Theory]
    [InlineData("auth != null &&", 15)]
    [InlineData("doc.owner == auth.id", 0)]
    [InlineData("args.n > 1 && data.x == 1", 14)]
    [InlineData("user.id == 1", 0)]
    public void Parse_BadInvokeRule_NamesItsPosition(string rule, int position)
    {
        var error = Refuse($$"""{ "name": "f", "code": "x", "callable": { "invokeRule": "{{rule}}" } }""");
        Assert.Equal("invalid_rule", error.Code);
        Assert.Equal("callable.invokeRule", error.Field);
        Assert.Equal(position, error.Position);
        var detail = Assert.Single(error.Errors!);
        Assert.Equal("callable.invokeRule", detail.Path);
        Assert.Equal(position, detail.Position);
    }

    [Fact]
    public void Parse_PutBodyNamingAnotherFunction_IsRefused()
    {
        var error = Assert.Throws<InvalidInputException>(() => FunctionDefinitionParser.Parse(JsonNode.Parse("""{ "name": "g", "code": "x" }""")!.AsObject(), "f", Options, Runtime));
        Assert.Equal("name", error.Field);
    }

    [Theory]
    [InlineData("api.example.com", true)]
    [InlineData("localhost", true)]
    [InlineData("localhost:3000", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("[2001:db8::1]:443", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("*.example.com", false)]
    [InlineData("", false)]
    [InlineData("api.example.com:0", false)]
    [InlineData("user@api.example.com", false)]
    public void IsValidHost_AcceptsHostAndPortOnly(string entry, bool valid) => Assert.Equal(valid, FunctionDefinitionParser.IsValidHost(entry));
}
