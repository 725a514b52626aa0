using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>
/// The documents page: one page of a collection at a time (keyset cursor, never an offset, never the whole
/// collection), counting only when asked, If-Match writes and bulk changes by filter.
/// </summary>
public class DocumentsService(BaasClient client)
{
    /// <summary>Documents fetched per page (the end of the table scrolled into view, or "Load more", fetches the next page after the cursor).</summary>
    public const int PageSize = 50;

    /// <summary>Columns shown at most when they are discovered from the loaded documents (schemaless collections).</summary>
    public const int MaxDiscoveredColumns = 8;

    public virtual Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken = default) =>
        client.Admin.Collections.ListAsync(cancellationToken);

    public virtual Task<CollectionInfo?> GetCollectionAsync(string name, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.GetAsync(name, cancellationToken);

    /// <summary>One page of the documents matching <paramref name="filter"/>, sorted by <paramref name="sort"/> (<c>-</c> for descending).</summary>
    public virtual Task<QueryPage<JsonObject>> PageAsync(string collection, JsonObject filter, string? sort, string? cursor, CancellationToken cancellationToken = default) =>
        Query(collection, filter, sort).PageSize(PageSize).GetPageAsync(cursor, includeCount: false, cancellationToken);

    /// <summary>Counts the matches; only called when the admin clicks "Count".</summary>
    public virtual Task<long> CountAsync(string collection, JsonObject filter, CancellationToken cancellationToken = default) =>
        Query(collection, filter, sort: null).CountAsync(cancellationToken);

    public virtual Task<Document<JsonObject>?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) =>
        client.Collection<JsonObject>(collection).GetAsync(id, cancellationToken);

    public virtual Task<Document<JsonObject>> CreateAsync(string collection, JsonObject data, CancellationToken cancellationToken = default) =>
        client.Collection<JsonObject>(collection).AddAsync(data, cancellationToken);

    /// <summary>Replaces a document only if it is still at <paramref name="version"/> (412 <c>version_mismatch</c> otherwise).</summary>
    public virtual Task<Document<JsonObject>> ReplaceAsync(string collection, string id, JsonObject data, long version, CancellationToken cancellationToken = default) =>
        client.Collection<JsonObject>(collection).SetAsync(id, data, upsert: false, ifMatch: version, cancellationToken);

    /// <summary>Deletes a document only if it is still at <paramref name="version"/>.</summary>
    public virtual Task<bool> DeleteAsync(string collection, string id, long version, CancellationToken cancellationToken = default) =>
        client.Collection<JsonObject>(collection).DeleteAsync(id, version, cancellationToken);

    /// <summary>Updates (operator JSON) or deletes every match of <paramref name="filter"/>; a dry run only counts them.</summary>
    public virtual Task<BulkResult> BulkAsync(string collection, JsonObject filter, BulkAction action, JsonObject? update, bool dryRun, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.BulkAsync(collection, new BulkRequest { Filter = filter, Action = action, Update = update, DryRun = dryRun }, cancellationToken);

    /// <summary>The largest file the import accepts from the browser (256 MiB); the server applies its own limits too.</summary>
    public const long MaxImportBytes = 256L * 1024 * 1024;

    /// <summary>Streams an upload (NDJSON, a JSON array or CSV) into the collection; the answer holds the per-row errors.</summary>
    public virtual Task<ImportResult> ImportAsync(string collection, Stream content, ImportFormat format, ImportMode mode, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.ImportAsync(collection, content, format, mode, cancellationToken);

    /// <summary>Opens an export of the documents matching <paramref name="filter"/> (NDJSON or CSV).</summary>
    public virtual Task<Stream> ExportAsync(string collection, ExportFormat format, JsonObject filter, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.ExportAsync(collection, format, filter.Count == 0 ? null : filter, fields: null, cancellationToken);

    /// <summary>The import format a file name suggests (<c>.csv</c>, <c>.json</c>, else NDJSON).</summary>
    public static ImportFormat FormatOf(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return Path.GetExtension(fileName).ToUpperInvariant() switch
        {
            ".CSV" => ImportFormat.Csv,
            ".JSON" => ImportFormat.Json,
            _ => ImportFormat.Ndjson,
        };
    }

    /// <summary>
    /// The table's columns: the schema's top-level properties when the collection has a schema, else the fields
    /// seen in the loaded documents (first seen first, at most <see cref="MaxDiscoveredColumns"/>).
    /// </summary>
    public static IReadOnlyList<string> Columns(JsonObject? schema, IEnumerable<Document<JsonObject>> loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (schema?["properties"] is JsonObject properties && properties.Count > 0)
        {
            return [.. properties.Select(p => p.Key).Where(k => !k.StartsWith('_'))];
        }

        var seen = new List<string>();
        foreach (var document in loaded)
        {
            foreach (var (key, _) in document.Data)
            {
                if (!key.StartsWith('_') && !seen.Contains(key, StringComparer.Ordinal))
                {
                    seen.Add(key);
                    if (seen.Count == MaxDiscoveredColumns)
                    {
                        return seen;
                    }
                }
            }
        }

        return seen;
    }

    /// <summary>A cell's text: strings as they are, other values as compact JSON, cut at 80 characters.</summary>
    public static string Cell(JsonNode? value)
    {
        var text = value switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(),
        };
        return text.Length > 80 ? text[..79] + "…" : text;
    }

    private Query<JsonObject> Query(string collection, JsonObject filter, string? sort)
    {
        Query<JsonObject> query = client.Collection<JsonObject>(collection);
        if (filter.Count > 0)
        {
            query = query.Where(filter);
        }

        return string.IsNullOrEmpty(sort) ? query : query.OrderBy(sort);
    }
}
