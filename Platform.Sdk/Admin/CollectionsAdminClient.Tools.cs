using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>The dashboard's data tools on one collection: schema check, rules simulator, bulk, import and export.</summary>
public partial class CollectionsAdminClient
{
    /// <summary>Counts the stored documents a proposed JSON Schema would reject, before saving it (a bounded scan; see <see cref="SchemaCheckResult.Complete"/>).</summary>
    /// <param name="name">The collection.</param>
    /// <param name="schema">The proposed schema.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>How many documents were read and how many fail, with samples.</returns>
    /// <exception cref="BaasException">400 <c>invalid_schema</c> for an unusable schema; 404 <c>collection_not_found</c>.</exception>
    public virtual async Task<SchemaCheckResult> CheckSchemaAsync(string name, JsonObject schema, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(schema);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminCollectionTool(name, "schema/check"), new JsonObject { ["schema"] = schema.DeepClone() }), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new SchemaCheckResult(
            Long(json, "checked"),
            Long(json, "failing"),
            Json.Bool(json, "complete"),
            [.. (json["samples"] as JsonArray ?? []).OfType<JsonObject>().Select(s => new SchemaCheckSample(
                Json.String(s, "id") ?? string.Empty,
                [.. (s["errors"] as JsonArray ?? []).OfType<JsonObject>().Select(e => new SchemaError(Json.String(e, "path") ?? string.Empty, Json.String(e, "message") ?? string.Empty))]))]);
    }

    /// <summary>Asks what the saved (or proposed) rules decide for a caller, document and data; for <c>list</c>, the effective filter.</summary>
    /// <param name="name">The collection.</param>
    /// <param name="request">The operation, caller, proposed rules, document and data.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Allowed or denied, and why.</returns>
    /// <exception cref="BaasException">400 <c>invalid_rule</c> with <see cref="BaasException.Errors"/> (<c>rules.list</c>, position) for a proposed rule that does not compile; 404 <c>user_not_found</c> for an unknown <see cref="SimulatedCaller.User"/>.</exception>
    public virtual async Task<RuleSimulationResult> SimulateRulesAsync(string name, RuleSimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(request);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminCollectionTool(name, "rules/simulate"), request.ToJson()), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new RuleSimulationResult(Json.Bool(json, "allowed"), Json.String(json, "reason") ?? string.Empty, json["filter"]?.DeepClone() as JsonObject, Json.String(json, "rule"));
    }

    /// <summary>
    /// Updates or deletes every document matching a filter, or (<see cref="BulkRequest.DryRun"/>, the default) counts them.
    /// Writes go page by page, each page atomic; a failure part way leaves the earlier pages written (the exception's
    /// problem says how many in <c>modified</c>/<c>deleted</c>).
    /// </summary>
    /// <param name="name">The collection.</param>
    /// <param name="request">Filter, action, update, dry run.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Matched and changed counts.</returns>
    /// <exception cref="BaasException">400 <c>bulk_too_large</c> when the filter matches more than the server allows per call; 400 for a bad filter or update; 422 when a changed document breaks the schema.</exception>
    public virtual async Task<BulkResult> BulkAsync(string name, BulkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(request);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminCollectionTool(name, "bulk"), request.ToJson()), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new BulkResult(Long(json, "matched"), Long(json, request.Action == BulkAction.Delete ? "deleted" : "modified"), Json.Bool(json, "dryRun"));
    }

    /// <summary>Streams <paramref name="content"/> into the collection; the server reads it row by row and writes in batches.</summary>
    /// <param name="name">The collection.</param>
    /// <param name="content">The upload (read to its end, not disposed).</param>
    /// <param name="format">NDJSON, a JSON array or CSV.</param>
    /// <param name="mode">Insert (default) or upsert by <c>_id</c>.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Counts and per-row errors.</returns>
    public virtual async Task<ImportResult> ImportAsync(string name, Stream content, ImportFormat format, ImportMode mode = ImportMode.Insert, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(content);
        var formatName = format switch { ImportFormat.Json => "json", ImportFormat.Csv => "csv", _ => "ndjson" };
        var path = BaasPaths.AdminCollectionTool(name, "import") + "?format=" + formatName + "&mode=" + (mode == ImportMode.Upsert ? "upsert" : "insert");
        using var body = new StreamContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(format switch { ImportFormat.Json => "application/json", ImportFormat.Csv => "text/csv", _ => "application/x-ndjson" });
        using var response = await _transport.SendStreamAsync(HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
        var json = await BaasTransport.ReadJsonBodyAsync(response, cancellationToken).ConfigureAwait(false) as JsonObject ?? [];
        return new ImportResult(
            Long(json, "inserted"),
            Long(json, "updated"),
            Long(json, "failed"),
            [.. (json["errors"] as JsonArray ?? []).OfType<JsonObject>().Select(e => new ImportError(Long(e, "row"), Json.String(e, "message") ?? string.Empty, Json.String(e, "code") ?? string.Empty)
            {
                Column = e["column"] is JsonValue column && column.TryGetValue<long>(out var byteInRow) ? byteInRow : null,
            })],
            Json.Bool(json, "complete"));
    }

    /// <summary>Opens an export as a stream (NDJSON or CSV); the server sends it page by page. Dispose the stream when done.</summary>
    /// <param name="name">The collection.</param>
    /// <param name="format">NDJSON or CSV.</param>
    /// <param name="filter">Which documents (query language), or null for all.</param>
    /// <param name="fields">CSV only: the columns after the system fields, or null for every field path.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response body.</returns>
    public virtual async Task<Stream> ExportAsync(string name, ExportFormat format = ExportFormat.Ndjson, JsonObject? filter = null, IReadOnlyList<string>? fields = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var path = new StringBuilder(BaasPaths.AdminCollectionTool(name, "export")).Append("?format=").Append(format == ExportFormat.Csv ? "csv" : "ndjson");
        if (filter is not null)
        {
            path.Append("&filter=").Append(Uri.EscapeDataString(filter.ToJsonString()));
        }

        if (fields is not null)
        {
            path.Append("&fields=").Append(Uri.EscapeDataString(string.Join(',', fields)));
        }

        var response = await _transport.SendStreamAsync(HttpMethod.Get, path.ToString(), null, cancellationToken).ConfigureAwait(false);
        return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Streams the documents of an NDJSON export one at a time, holding one in memory.</summary>
    /// <param name="name">The collection.</param>
    /// <param name="filter">Which documents, or null for all.</param>
    /// <param name="cancellationToken">Stops the export.</param>
    /// <returns>The documents in <c>_id</c> order.</returns>
    public virtual async IAsyncEnumerable<JsonObject> ExportDocumentsAsync(string name, JsonObject? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = await ExportAsync(name, ExportFormat.Ndjson, filter, null, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0 && JsonNode.Parse(line) is JsonObject document)
                {
                    yield return document;
                }
            }
        }
    }

    private static long Long(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
