using System.Text.Json.Nodes;
using Platform.Server.Rules;

namespace Platform.Server.Tests.Rules;

public sealed class RuleFilterTests
{
    private const string Ann = """{ "id": "u1", "email": "ann@x.io", "roles": ["admin", "red"], "anonymous": false, "verified": true }""";

    private static string Filter(string rule, string? auth, string? now = null) =>
        FilterText.Of(RuleCompiler.Compile(RuleOperation.List, rule).ToFilter(new RuleContext
        {
            Auth = auth is null ? null : JsonNode.Parse(auth)!.AsObject(),
            Now = now,
        }));

    public static TheoryData<string, string?, string> Cases() => new()
    {
        { "doc.ownerId == auth.id", Ann, """{"ownerId":{"$eq":"u1"}}""" },
        { "auth.id == doc.ownerId", Ann, """{"ownerId":{"$eq":"u1"}}""" },
        { "doc.ownerId == auth.id", null, """{"ownerId":{"$eq":null}}""" },
        { "auth != null && doc.ownerId == auth.id", null, "false" },
        { "auth != null && doc.public == true", null, "false" },
        { "auth != null && doc.public == true", Ann, """{"public":{"$eq":true}}""" },
        { "doc.public", Ann, """{"public":{"$eq":true}}""" },
        { "!doc.public", Ann, """{"$nor":[{"public":{"$eq":true}}]}""" },
        { "!!doc.public", Ann, """{"public":{"$eq":true}}""" },
        { "doc.status in [\"a\", \"b\"]", null, """{"status":{"$in":["a","b"]}}""" },
        { "doc.status in auth.roles", Ann, """{"status":{"$in":["admin","red"]}}""" },
        { "doc.status in auth.roles", null, "false" },
        { "doc.status in []", Ann, "false" },
        { "\"x\" in doc.tags", null, """{"tags":{"$eq":"x"}}""" },
        { "auth.email in doc.tags", Ann, """{"tags":{"$eq":"ann@x.io"}}""" },
        { "doc.n > 2", null, """{"n":{"$gt":2}}""" },
        { "doc.n >= 2.5", null, """{"n":{"$gte":2.5}}""" },
        { "2 < doc.n", null, """{"n":{"$gt":2}}""" },
        { "2 <= doc.n", null, """{"n":{"$gte":2}}""" },
        { "'m' > doc.s", null, """{"s":{"$lt":"m"}}""" },
        { "'m' >= doc.s", null, """{"s":{"$lte":"m"}}""" },
        { "doc.n > true", null, "false" },
        { "doc.n < auth.id", null, "false" },
        { "doc._createdAt < now", null, """{"_createdAt":{"$lt":"2026-01-02T03:04:05.678Z"}}""" },
        { "doc.x == null", null, """{"x":{"$eq":null}}""" },
        { "doc.x != null", null, """{"x":{"$ne":null}}""" },
        { "doc.owner.name == auth.email", Ann, """{"owner.name":{"$eq":"ann@x.io"}}""" },
        { "\"admin\" in auth.roles || doc.ownerId == auth.id", Ann, "{}" },
        { "\"admin\" in auth.roles || doc.ownerId == auth.id", null, """{"ownerId":{"$eq":null}}""" },
        { "true && doc.a == 1 && (doc.b == 2 && doc.c == 3)", null, """{"$and":[{"a":{"$eq":1}},{"b":{"$eq":2}},{"c":{"$eq":3}}]}""" },
        { "doc.a == 1 || false || (doc.b == 2 || doc.c == 3)", null, """{"$or":[{"a":{"$eq":1}},{"b":{"$eq":2}},{"c":{"$eq":3}}]}""" },
        { "!(doc.a == 1 || doc.b == 2)", null, """{"$nor":[{"a":{"$eq":1}},{"b":{"$eq":2}}]}""" },
        { "!!(doc.a == 1 || doc.b == 2)", null, """{"$or":[{"a":{"$eq":1}},{"b":{"$eq":2}}]}""" },
        { "(doc.n > 2) == false", null, """{"$nor":[{"n":{"$gt":2}}]}""" },
        { "(doc.n > 2) == true", null, """{"n":{"$gt":2}}""" },
        { "(doc.n > 2) == null", null, "false" },
        { "(doc.n > 2) != null", null, "{}" },
        { "false || auth == null", null, "{}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToFilter_ReducesTheRule(string rule, string? auth, string expected)
    {
        Assert.Equal(expected, Filter(rule, auth, now: "2026-01-02T03:04:05.678Z"));
    }
}
