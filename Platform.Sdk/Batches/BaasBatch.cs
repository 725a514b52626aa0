using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk.Documents;
using Platform.Sdk.Http;

namespace Platform.Sdk;

/// <summary>
/// Several writes across collections, applied in order and all or nothing by <see cref="CommitAsync"/>
/// (at most 500). Later operations see the effect of earlier ones. Get one with <see cref="BaasClient.Batch"/>.
/// </summary>
public class BaasBatch
{
    /// <summary>The most operations the server accepts in one batch.</summary>
    public const int MaxOperations = 500;

    private readonly BaasTransport _transport;
    private readonly List<JsonObject> _ops = [];

    internal BaasBatch(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected BaasBatch()
    {
        _transport = null!;
    }

    /// <summary>How many operations the batch holds.</summary>
    public int Count => _ops.Count;

    /// <summary>Creates a document (its id property, when set, becomes the id).</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="data">The document.</param>
    /// <returns>This batch.</returns>
    public virtual BaasBatch Add<T>(DocumentCollection<T> collection, T data)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return Op("create", collection.Name, null, collection.Mapper.ToBody(data, includeId: true), null);
    }

    /// <summary>Replaces a document's fields.</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id.</param>
    /// <param name="data">The new content.</param>
    /// <param name="ifMatch">Only if the stored version is this one.</param>
    /// <returns>This batch.</returns>
    public virtual BaasBatch Set<T>(DocumentCollection<T> collection, string id, T data, long? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Op("replace", collection.Name, id, collection.Mapper.ToBody(data, includeId: true), ifMatch);
    }

    /// <summary>Changes part of a document: a merge patch or update operators (see <see cref="DocumentCollection{T}.UpdateAsync(string, object, long?, CancellationToken)"/>).</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id.</param>
    /// <param name="patch">The merge patch or operator update.</param>
    /// <param name="ifMatch">Only if the stored version is this one.</param>
    /// <returns>This batch.</returns>
    public virtual BaasBatch Update<T>(DocumentCollection<T> collection, string id, object patch, long? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Op("patch", collection.Name, id, collection.ToPatchBody(patch), ifMatch);
    }

    /// <summary>Changes part of a document with typed update operators.</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id.</param>
    /// <param name="update">Builds the update.</param>
    /// <param name="ifMatch">Only if the stored version is this one.</param>
    /// <returns>This batch.</returns>
    public virtual BaasBatch Update<T>(DocumentCollection<T> collection, string id, Action<DocumentUpdate<T>> update, long? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Op("patch", collection.Name, id, collection.BuildUpdate(update), ifMatch);
    }

    /// <summary>Deletes a document (a missing document fails the batch with 404).</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id.</param>
    /// <param name="ifMatch">Only if the stored version is this one.</param>
    /// <returns>This batch.</returns>
    public virtual BaasBatch Delete<T>(DocumentCollection<T> collection, string id, long? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Op("delete", collection.Name, id, null, ifMatch);
    }

    /// <summary>Sends every operation as one atomic batch. Never retried (it is not idempotent).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One result per operation, in order.</returns>
    /// <exception cref="BaasException">An operation failed and nothing was applied; <see cref="BaasException.OpIndex"/> says which.</exception>
    public virtual async Task<IReadOnlyList<BatchOperationResult>> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_ops.Count == 0)
        {
            return [];
        }

        var body = new JsonObject { ["ops"] = new JsonArray([.. _ops.Select(op => (JsonNode)op.DeepClone())]) };
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.Batch, body), cancellationToken).ConfigureAwait(false);
        if (response.Body?["results"] is not JsonArray results)
        {
            throw new BaasException("The server answered a batch without results.");
        }

        return [.. results.Select(r => new BatchOperationResult(
            r?["status"] is JsonValue s && s.TryGetValue<int>(out var status) ? status : 0,
            r?["document"] as JsonObject)
        {
            Id = r?["id"] is JsonValue i && i.TryGetValue<string>(out var id) ? id : (r?["document"] as JsonObject)?["_id"]?.GetValue<string>(),
            Version = r?["version"] is JsonValue v && v.TryGetValue<long>(out var version) ? version : null,
        })];
    }

    private BaasBatch Op(string op, string collection, string? id, JsonObject? data, long? ifMatch)
    {
        if (_ops.Count >= MaxOperations)
        {
            throw new InvalidOperationException($"A batch holds at most {MaxOperations} operations.");
        }

        var json = new JsonObject { ["op"] = op, ["collection"] = collection };
        if (id is not null)
        {
            json["id"] = id;
        }

        if (data is not null)
        {
            json["data"] = data;
        }

        if (ifMatch is { } version)
        {
            json["ifMatch"] = version.ToString(CultureInfo.InvariantCulture);
        }

        _ops.Add(json);
        return this;
    }
}

/// <summary>What one batch operation did.</summary>
/// <param name="Status">The HTTP status it stands for: 201 created, 200 replaced or patched, 204 deleted.</param>
/// <param name="Document">
/// The document after the operation; null for deletes, and for writes past the server's <c>Baas:Batch:MaxResponseBytes</c>
/// (a large batch echoes its first documents only; <see cref="Id"/> and <see cref="Version"/> are always there).
/// </param>
public sealed record BatchOperationResult(int Status, JsonObject? Document)
{
    /// <summary>The id of the document written or deleted.</summary>
    public string? Id { get; init; } = Document?["_id"]?.GetValue<string>();

    /// <summary>The version the operation left the document at; null for deletes.</summary>
    public long? Version { get; init; } = Document?["_version"] is JsonValue v && v.TryGetValue<long>(out var version) ? version : null;

    /// <summary>The document as <typeparamref name="T"/>, read the way <paramref name="collection"/> reads documents.</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection the operation wrote.</param>
    /// <returns>The document, or null for deletes and for results the server did not echo (see <see cref="Document"/>).</returns>
    public Document<T>? GetDocument<T>(DocumentCollection<T> collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return Document is null ? null : collection.Mapper.FromJson(Document);
    }
}
