using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Auth;

/// <summary>Helpers for the documents of the auth system collections (<c>_keys</c>, <c>_apikeys</c>, <c>_admins</c>).</summary>
internal static class SystemDocuments
{
    public const string KeysCollection = "_keys";
    public const string ApiKeysCollection = "_apikeys";
    public const string AdminsCollection = "_admins";

    /// <summary>The one timestamp format of stored documents (DESIGN.md section 3): UTC with milliseconds.</summary>
    public static string FormatTimestamp(DateTimeOffset time) => Timestamps.Format(time);

    /// <summary>Time-ordered ids, so listings sorted by id come out in creation order.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");

    /// <summary>A new document with its system fields first, then <paramref name="fields"/>.</summary>
    public static JsonObject Create(string id, DateTimeOffset now, string? createdBy, params (string Name, JsonNode? Value)[] fields)
    {
        var stamp = FormatTimestamp(now);
        var document = new JsonObject
        {
            [SystemFields.Id] = id,
            [SystemFields.Version] = 1L,
            [SystemFields.CreatedAt] = stamp,
            [SystemFields.UpdatedAt] = stamp,
            [SystemFields.CreatedBy] = createdBy,
        };
        foreach (var (name, value) in fields)
        {
            document[name] = value;
        }

        return document;
    }

    /// <summary>The next version of <paramref name="document"/> (a deep copy) and the replace that writes it only over the version it came from.</summary>
    public static ReplaceOperation Update(string collection, JsonObject document, DateTimeOffset now, Action<JsonObject> change)
    {
        var copy = document.DeepClone().AsObject();
        var version = GetVersion(copy);
        change(copy);
        copy[SystemFields.Version] = version + 1;
        copy[SystemFields.UpdatedAt] = FormatTimestamp(now);
        return new ReplaceOperation(collection, copy, version);
    }

    /// <summary>A query for at most <paramref name="limit"/> documents whose top-level <paramref name="field"/> equals <paramref name="value"/>.</summary>
    public static DocumentQuery WhereEquals(string field, string value, int limit = 1) =>
        new(new FieldNode(field, FieldOperator.Eq, ScalarJson.Element(value)), [new SortField(SystemFields.Id)], limit);

    /// <summary>The stored <c>_version</c>, whichever integer type the node holds (parsed JSON or a value set in memory).</summary>
    public static long GetVersion(JsonObject document) => document[SystemFields.Version] switch
    {
        JsonValue value when value.TryGetValue<long>(out var version) => version,
        JsonValue value when value.TryGetValue<int>(out var version) => version,
        _ => throw new InvalidOperationException("Stored document lacks an integer '_version'."),
    };

    public static string GetString(JsonObject document, string field) =>
        document[field]?.GetValue<string>() ?? throw new InvalidOperationException($"Stored document lacks '{field}'.");
}
