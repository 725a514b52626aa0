using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents;

/// <summary>
/// The opaque <c>nextCursor</c>: the sort keys of the last document of a page, so the next page
/// starts strictly after it (keyset paging, stable under concurrent inserts and deletes). It also
/// records the sort it was made for; using it with another sort is a 400.
/// </summary>
public static class QueryCursor
{
    public static string Encode(IReadOnlyList<SortField> sort, JsonObject lastDocument)
    {
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(lastDocument);
        var values = new JsonArray();
        foreach (var key in sort)
        {
            values.Add(JsonValueOrder.GetSortValue(lastDocument, key.Path)?.DeepClone());
        }

        var payload = new JsonObject { ["s"] = SortSignature(sort), ["v"] = values };
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
    }

    public static IReadOnlyList<JsonElement> Decode(string cursor, IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        JsonElement payload;
        try
        {
            var bytes = Base64Url.DecodeFromChars(cursor);

            // A forged cursor may hold what reading it would choke on (a lone surrogate, a repeated key).
            JsonInput.Validate(bytes, 64);
            payload = JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidInputException)
        {
            throw Invalid("The cursor is not one this server issued.");
        }

        if (payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("s", out var signature) || signature.ValueKind != JsonValueKind.String
            || !payload.TryGetProperty("v", out var values) || values.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("The cursor is not one this server issued.");
        }

        if (signature.GetString() != SortSignature(sort) || values.GetArrayLength() != sort.Count)
        {
            throw Invalid("The cursor was made for another sort order; pass the same sort as the request that returned it.");
        }

        if (values.EnumerateArray().Any(HasOperatorKey))
        {
            throw Invalid("The cursor is not one this server issued.");
        }

        return [.. values.EnumerateArray().Select(v => v.Clone())];
    }

    // Cursors are made from stored documents, whose field names never start with '$'.
    private static bool HasOperatorKey(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().Any(p => p.Name.StartsWith('$') || HasOperatorKey(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Any(HasOperatorKey),
        _ => false,
    };

    private static string SortSignature(IReadOnlyList<SortField> sort) => string.Join(",", sort.Select(s => s.ToString()));

    private static InvalidInputException Invalid(string message) => new("invalid_cursor", message, "cursor");
}
