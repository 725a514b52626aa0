using System.Text.Json.Nodes;

namespace Platform.Sdk.Admin;

/// <summary>A collection definition: optional JSON Schema, indexes and access rules.</summary>
public class CollectionDefinition
{
    /// <summary>The name: <c>^[a-z][a-z0-9_-]{0,62}$</c>.</summary>
    public required string Name { get; set; }

    /// <summary>A JSON Schema every document must satisfy (validated on every write; failures are 422), or null for schemaless.</summary>
    public JsonObject? Schema { get; set; }

    /// <summary>Single and compound indexes.</summary>
    public IList<IndexDefinition> Indexes { get; init; } = [];

    /// <summary>Access rules per operation (<c>list get create update delete</c>), as expressions.</summary>
    public IDictionary<string, string> Rules { get; init; } = new Dictionary<string, string>();

    internal JsonObject ToJson()
    {
        var rules = new JsonObject();
        foreach (var (operation, rule) in Rules)
        {
            rules[operation] = rule;
        }

        return new JsonObject
        {
            ["name"] = Name,
            ["schema"] = Schema?.DeepClone(),
            ["indexes"] = new JsonArray([.. Indexes.Select(i => (JsonNode)new JsonObject
            {
                ["fields"] = new JsonArray([.. i.Fields.Select(f => (JsonNode)JsonValue.Create(f))]),
                ["unique"] = i.Unique,
            })]),
            ["rules"] = rules,
        };
    }
}

/// <summary>A defined collection as the server holds it: the definition and when it was created and last changed.</summary>
public sealed class CollectionInfo : CollectionDefinition
{
    /// <summary>When the collection was defined.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the definition last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// The stored definition's version (1 when created, +1 on every save; the server's <c>ETag</c>), to pass as the expected
    /// version of <see cref="CollectionsAdminClient.UpdateAsync(CollectionDefinition, long, CancellationToken)"/> or
    /// <see cref="CollectionsAdminClient.DeleteAsync(string, long, CancellationToken)"/>. <see cref="CollectionsAdminClient.ListAsync"/>'s
    /// items carry it too (0 only from a server older than the body's <c>version</c> member).
    /// </summary>
    public long Version { get; init; }
}

/// <summary>An index: field paths in order, <c>-</c> prefix for descending, optionally unique.</summary>
public sealed class IndexDefinition
{
    /// <summary>Creates an index definition.</summary>
    /// <param name="fields">The field paths, e.g. <c>"done"</c>, <c>"-priority"</c>.</param>
    public IndexDefinition(params string[] fields)
    {
        Fields = fields;
    }

    /// <summary>The field paths, <c>-</c> prefix for descending.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>Whether two documents may not share the same values (writes that would are 409).</summary>
    public bool Unique { get; init; }
}

/// <summary>A service key without its secret (the server keeps only a hash).</summary>
/// <param name="Id">The key's id (to revoke it).</param>
/// <param name="Name">The name given at creation.</param>
/// <param name="Prefix">The first characters of the key, to recognize it.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUsedAt">When it was last used, if ever.</param>
public sealed record ApiKeyInfo(string Id, string Name, string? Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A new service key, with the secret that is shown only this once.</summary>
/// <param name="Id">The key's id (to revoke it).</param>
/// <param name="Name">The name given.</param>
/// <param name="Key">The secret, to send as <c>X-Api-Key</c> (<see cref="BaasClientOptions.ApiKey"/>). Store it safely.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record CreatedApiKey(string Id, string Name, string Key, DateTimeOffset CreatedAt);

/// <summary>An admin account.</summary>
/// <param name="Id">The admin's id.</param>
/// <param name="Email">The admin's email.</param>
/// <param name="CreatedAt">When the account was created.</param>
public sealed record AdminAccount(string Id, string Email, DateTimeOffset CreatedAt)
{
    /// <summary>Whether the account is disabled: its tokens are refused and it cannot sign in.</summary>
    public bool Disabled { get; init; }
}

/// <summary>A signed-in admin session.</summary>
/// <param name="Admin">Who signed in.</param>
/// <param name="AccessToken">The bearer token the client now sends.</param>
/// <param name="ExpiresIn">The token's lifetime.</param>
public sealed record AdminSession(AdminAccount Admin, string AccessToken, TimeSpan ExpiresIn);
