using System.Text.Json.Nodes;

namespace Platform.Server.Tests.Rules;

/// <summary>
/// The rule table, callers and documents shared by the agreement tests: the full evaluation of each
/// rule must equal its partial evaluation (a filter) run against each document.
/// </summary>
public static class RuleSamples
{
    public const string Now = "2026-01-02T03:04:05.678Z";

    public static readonly IReadOnlyList<string> ListRules =
    [
        "true",
        "false",
        "auth != null",
        "auth == null",
        // owner-only
        "auth != null && doc.ownerId == auth.id",
        "doc.ownerId == auth.id",
        "auth.id == doc.ownerId",
        "doc._createdBy == auth.id && auth.id != null",
        // public read
        "doc.public == true",
        "doc.public",
        "!doc.public",
        "auth != null && doc.public == true",
        "doc.public == true || (auth != null && doc.ownerId == auth.id)",
        // role based
        "\"admin\" in auth.roles",
        "\"admin\" in auth.roles || doc.ownerId == auth.id",
        "doc.team in auth.roles",
        "!(doc.team in auth.roles)",
        "auth.roles in doc.tags",
        // verified only
        "auth.verified == true && doc.status == \"published\"",
        "auth.verified && !auth.anonymous",
        "auth.anonymous != true && doc.ownerId == auth.id",
        // in-lists
        "doc.status in [\"draft\", \"published\"]",
        "doc.status in [\"draft\", null]",
        "doc.status in []",
        "!(doc.status in [\"draft\", \"archived\"])",
        "doc.n in [1, 2.0, \"3\"]",
        "\"x\" in doc.tags",
        "\"x\" in doc.tags && !(\"y\" in doc.tags)",
        "null in doc.tags",
        "[\"x\", \"y\"] in doc.tags",
        "doc.tags == [\"x\", \"y\"]",
        // null checks
        "doc.ownerId == null",
        "doc.ownerId != null",
        "null == doc.owner.name",
        "doc.owner.name != null && doc.owner.name == auth.email",
        "!(doc.status == null)",
        // comparisons in both directions, and of other types (never true)
        "doc.n > 2",
        "doc.n >= 2",
        "doc.n < 2.5",
        "doc.n <= -1",
        "2 < doc.n",
        "2 >= doc.n",
        "doc.n > \"b\"",
        "\"b\" <= doc.n",
        "doc.n > null",
        "doc.n <= true",
        "doc.n < auth.id",
        "doc._createdAt < now",
        "doc.n != 2",
        "doc.owner.age >= 18",
        // conditions compared with values
        "(doc.n > 2) == false",
        "(doc.n > 2) != true",
        "(doc.n > 2) == null",
        "(doc.n > 2) in [true, false]",
        "true == (doc.public || doc.n > 2)",
        "!doc.public == true",
        // combinations and negations
        "!(doc.public == true && doc.n > 2)",
        "!(doc.public == true || doc.n > 2)",
        "!!doc.public",
        "!(auth != null) || doc.public",
        "auth == null && doc.public == true || auth != null && doc.ownerId == auth.id",
        "(doc.status == \"a\" || doc.status == \"b\") && !(doc.n < 0)",
        "doc.status == \"a\" || doc.status == \"b\" || doc.status == 3",
        "doc.public == auth.verified",
        "doc.owner.name == \"ann\"",
        "doc.owner.name in auth.roles || doc.owner.age > 17",
    ];

    public static readonly IReadOnlyList<JsonObject?> Callers =
    [
        null,
        Json("""{ "id": "u1", "email": "ann@x.io", "roles": ["admin", "red"], "anonymous": false, "verified": true }"""),
        Json("""{ "id": "u2", "email": "bob@x.io", "roles": [], "anonymous": false, "verified": false }"""),
        Json("""{ "id": "u3", "email": null, "roles": ["blue"], "anonymous": true, "verified": false }"""),
        Json("""{ "id": "x", "roles": "red" }"""),
    ];

    private static readonly JsonNode?[] Owners = [null, "u1", "u2", "x", 1, new JsonArray("u1", "u2")];
    private static readonly JsonNode?[] Flags = [true, false, null, "true", 1, new JsonArray(true), new JsonArray(false)];
    private static readonly JsonNode?[] Statuses = [null, "draft", "published", "archived", "a", "b", 3, new JsonArray("draft", "x")];
    private static readonly JsonNode?[] Numbers = [null, -1, 0, 2, 2.0, 2.5, 3, "3", "a", "c", true, new JsonArray(1, 5), new JsonArray(), new JsonObject()];
    private static readonly JsonNode?[] Teams = [null, "red", "blue", "green", new JsonArray("red", "green")];

    private static JsonNode?[] TagValues() =>
    [
        null,
        "x",
        new JsonArray(),
        new JsonArray("x"),
        new JsonArray("y", "x"),
        new JsonArray("admin"),
        new JsonArray("red", "blue"),
        new JsonArray((JsonNode?)null),
        new JsonArray(new JsonArray("x", "y")),
        new JsonArray(new JsonArray("admin", "red")),
    ];

    private static JsonNode?[] OwnerObjects() =>
    [
        null,
        "ann",
        new JsonObject { ["name"] = "ann", ["age"] = 30 },
        new JsonObject { ["name"] = "ann@x.io", ["age"] = 12 },
        new JsonObject { ["name"] = null },
        new JsonObject(),
        new JsonArray(new JsonObject { ["name"] = "ann" }, new JsonObject { ["age"] = 40 }),
        new JsonArray(new JsonObject { ["name"] = "bob@x.io", ["age"] = 17 }),
        new JsonArray(),
        new JsonArray("ann"),
    ];

    /// <summary>Documents with every field sometimes missing, null, of another type, or an array.</summary>
    public static IReadOnlyList<JsonObject> Documents(int count, int seed)
    {
        var random = new Random(seed);
        var documents = new List<JsonObject>();
        for (var i = 0; i < count; i++)
        {
            var doc = new JsonObject { ["_id"] = $"d{i:D4}", ["_version"] = 1 };
            Maybe(random, doc, "ownerId", Owners);
            Maybe(random, doc, "_createdBy", Owners);
            Maybe(random, doc, "public", Flags);
            Maybe(random, doc, "status", Statuses);
            Maybe(random, doc, "n", Numbers);
            Maybe(random, doc, "team", Teams);
            Maybe(random, doc, "tags", TagValues());
            Maybe(random, doc, "owner", OwnerObjects());
            if (random.Next(2) == 0)
            {
                doc["_createdAt"] = random.Next(2) == 0 ? "2025-12-31T23:59:59.999Z" : "2026-01-02T03:04:05.679Z";
            }

            documents.Add(doc);
        }

        return documents;
    }

    private static void Maybe(Random random, JsonObject doc, string field, JsonNode?[] values)
    {
        // About one document in four lacks the field.
        var pick = random.Next(values.Length + values.Length / 3 + 1);
        if (pick < values.Length)
        {
            doc[field] = values[pick]?.DeepClone();
        }
    }

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
}
