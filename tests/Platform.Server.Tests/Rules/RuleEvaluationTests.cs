using System.Text.Json.Nodes;
using Platform.Server.Rules;

namespace Platform.Server.Tests.Rules;

public sealed class RuleEvaluationTests
{
    private const string Ann = """{ "id": "u1", "email": "ann@x.io", "roles": ["admin"], "anonymous": false, "verified": true }""";

    private static bool Evaluate(RuleOperation operation, string rule, string? auth = null, string? doc = null, string? data = null, string? now = null) =>
        RuleCompiler.Compile(operation, rule).Evaluate(new RuleContext
        {
            Auth = auth is null ? null : JsonNode.Parse(auth)!.AsObject(),
            Doc = doc is null ? null : JsonNode.Parse(doc)!.AsObject(),
            Data = data is null ? null : JsonNode.Parse(data)!.AsObject(),
            Now = now,
        });

    public static TheoryData<string, string?, string?, bool> GetRules() => new()
    {
        // owner-only
        { "auth != null && doc.ownerId == auth.id", Ann, """{"ownerId": "u1"}""", true },
        { "auth != null && doc.ownerId == auth.id", Ann, """{"ownerId": "u2"}""", false },
        { "auth != null && doc.ownerId == auth.id", null, """{}""", false },
        // missing reads as null, through a missing object, a scalar or a signed-out auth
        { "doc.ownerId == auth.id", null, """{}""", true },
        { "auth.id == null", null, """{}""", true },
        { "auth.roles == null", null, """{}""", true },
        { "doc.x.y == null", Ann, """{}""", true },
        { "doc.x.y == null", Ann, """{"x": 5}""", true },
        { "doc.x.y == null", Ann, """{"x": {"y": 0}}""", false },
        { "doc.x != null", Ann, """{"x": null}""", false },
        { "doc.x != null", Ann, """{"x": false}""", true },
        // only true is true
        { "doc.flag", Ann, """{"flag": true}""", true },
        { "doc.flag", Ann, """{"flag": "true"}""", false },
        { "doc.flag", Ann, """{"flag": 1}""", false },
        { "!doc.flag", Ann, """{"flag": 1}""", true },
        { "!doc.flag", Ann, """{}""", true },
        { "auth.verified", Ann, """{}""", true },
        { "auth.verified", null, """{}""", false },
        { "!auth.verified", null, """{}""", true },
        { "auth", Ann, """{}""", false },
        { "auth.email && true", Ann, """{}""", false },
        { "auth.verified || auth.id", Ann, """{}""", true },
        // deep equality, numbers by value
        { "doc.n == 1", Ann, """{"n": 1.0}""", true },
        { "doc.n == \"1\"", Ann, """{"n": 1}""", false },
        { "doc.o == doc.p", Ann, """{"o": {"a": [1, {"b": 2}]}, "p": {"a": [1.0, {"b": 2}]}}""", true },
        { "doc.o == doc.p", Ann, """{"o": {"a": 1}, "p": {"a": 2}}""", false },
        { "doc.o == doc.p", Ann, """{}""", true },
        { "doc.a != doc.b", Ann, """{"a": [1, 2], "b": [1, 2]}""", false },
        { "[1, \"a\", null] == [1.0, 'a', null]", null, null, true },
        // a doc field compared with a value: an array matches when any element does
        { "doc.tags == \"x\"", Ann, """{"tags": ["y", "x"]}""", true },
        { "doc.tags == [\"y\", \"x\"]", Ann, """{"tags": ["y", "x"]}""", true },
        { "doc.tags != \"x\"", Ann, """{"tags": ["y", "x"]}""", false },
        { "\"x\" in doc.tags", Ann, """{"tags": ["y", "x"]}""", true },
        { "\"x\" in doc.tags", Ann, """{"tags": "x"}""", true },
        { "\"x\" in doc.tags", Ann, """{}""", false },
        { "doc.items.sku == \"a\"", Ann, """{"items": [{"sku": "b"}, {"sku": "a"}]}""", true },
        { "doc.n > 3", Ann, """{"n": [1, 5]}""", true },
        // ordering only between two numbers or two strings (code-point order)
        { "doc.n > 2", Ann, """{"n": 2.5}""", true },
        { "doc.n > 2", Ann, """{"n": "3"}""", false },
        { "doc.n < \"b\"", Ann, """{"n": "B"}""", true },
        { "doc.n < \"b\"", Ann, """{"n": 1}""", false },
        { "doc.n >= null", Ann, """{}""", false },
        { "doc.n <= null", Ann, """{"n": null}""", false },
        { "doc.b > false", Ann, """{"b": true}""", false },
        { "1 < 2", null, null, true },
        { "\"a\" < 2", null, null, false },
        { "'\uffff' < '\ud83d\ude00'", null, null, true },
        { "doc.a < doc.b", Ann, """{"a": 1, "b": 2}""", true },
        { "doc.a < doc.b", Ann, """{"a": "1", "b": 2}""", false },
        // in
        { "doc.status in [\"a\", \"b\"]", Ann, """{"status": "b"}""", true },
        { "doc.status in [\"a\", \"b\"]", Ann, """{"status": "c"}""", false },
        { "doc.status in [\"a\", null]", Ann, """{}""", true },
        { "\"admin\" in auth.roles", Ann, """{}""", true },
        { "\"admin\" in auth.roles", null, """{}""", false },
        { "\"admin\" in auth.email", Ann, """{}""", false },
        { "doc.a in doc.b", Ann, """{"a": 2, "b": [1, 2.0]}""", true },
        { "doc.a in doc.b", Ann, """{"a": 2, "b": 2}""", false },
        { "doc.team in auth.roles", Ann, """{"team": "admin"}""", true },
        // precedence: ! > comparison > && > ||
        { "!doc.a == false", Ann, """{"a": true}""", true },
        { "true || false && false", null, null, true },
        { "(true || false) && false", null, null, false },
        { "!true || true", null, null, true },
        { "!(true || true)", null, null, false },
        // strings and escapes
        { "doc.s == 'it\\'s \"quoted\"\\n\\u00e9'", Ann, """{"s": "it's \"quoted\"\n\u00e9"}""", true },
        { "doc.s == \"tab\\there\"", Ann, """{"s": "tab\there"}""", true },
        { "doc.n == -2.5e1", Ann, """{"n": -25}""", true },
        // system fields
        { "doc._createdBy == auth.id", Ann, """{"_createdBy": "u1"}""", true },
    };

    [Theory]
    [MemberData(nameof(GetRules))]
    public void Evaluate_Get(string rule, string? auth, string? doc, bool expected) =>
        Assert.Equal(expected, Evaluate(RuleOperation.Get, rule, auth, doc));

    [Fact]
    public void Evaluate_Now_ComparesWithTimestamps()
    {
        const string now = "2026-01-02T03:04:05.678Z";
        Assert.True(Evaluate(RuleOperation.Get, "doc._createdAt < now", doc: """{"_createdAt": "2026-01-02T03:04:05.677Z"}""", now: now));
        Assert.False(Evaluate(RuleOperation.Get, "doc._createdAt < now", doc: """{"_createdAt": "2026-01-02T03:04:05.678Z"}""", now: now));
        Assert.False(Evaluate(RuleOperation.Get, "doc._createdAt < now", doc: """{"_createdAt": "2026-01-01T00:00:00.000Z"}"""));
        Assert.True(Evaluate(RuleOperation.Get, "now == null"));
    }

    [Fact]
    public void Evaluate_CreateAndUpdate_SeeData()
    {
        const string create = "auth != null && data.ownerId == auth.id && !(\"role\" in data.tags)";
        Assert.True(Evaluate(RuleOperation.Create, create, Ann, data: """{"ownerId": "u1", "tags": []}"""));
        Assert.False(Evaluate(RuleOperation.Create, create, Ann, data: """{"ownerId": "u2"}"""));
        Assert.False(Evaluate(RuleOperation.Create, create, data: """{"ownerId": null}"""));

        const string update = "doc.ownerId == auth.id && data.ownerId == doc.ownerId";
        Assert.True(Evaluate(RuleOperation.Update, update, Ann, doc: """{"ownerId": "u1"}""", data: """{"ownerId": "u1", "x": 2}"""));
        Assert.False(Evaluate(RuleOperation.Update, update, Ann, doc: """{"ownerId": "u1"}""", data: """{"ownerId": "u2"}"""));
    }

    [Fact]
    public void Evaluate_DoesNotChangeTheContext_AndCanRepeat()
    {
        var rule = RuleCompiler.Compile(RuleOperation.Get, "[doc.a, auth.roles] == [1, [\"admin\"]] && doc.a in [1, 2]");
        var doc = new JsonObject { ["a"] = 1 };
        var auth = JsonNode.Parse(Ann)!.AsObject();
        var before = doc.ToJsonString() + auth.ToJsonString();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(rule.Evaluate(new RuleContext { Auth = auth, Doc = doc }));
        }

        Assert.Equal(before, doc.ToJsonString() + auth.ToJsonString());
    }

    [Fact]
    public void Evaluate_IsThreadSafe()
    {
        var rule = RuleCompiler.Compile(RuleOperation.Get, "doc.ownerId == auth.id && doc.tags in [[\"a\"], \"b\"]");
        Parallel.For(0, 2000, i =>
        {
            var doc = new JsonObject { ["ownerId"] = $"u{i % 3}", ["tags"] = i % 2 == 0 ? "b" : "c" };
            var auth = new JsonObject { ["id"] = "u0" };
            Assert.Equal(i % 3 == 0 && i % 2 == 0, rule.Evaluate(new RuleContext { Auth = auth, Doc = doc }));
        });
    }
}
