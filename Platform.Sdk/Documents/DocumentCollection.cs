using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Documents;
using Platform.Sdk.Http;

namespace Platform.Sdk;

/// <summary>
/// One collection's documents: create, read, replace, update and delete them, and query the collection
/// (it is also the query that matches every document). Get one with <see cref="BaasClient.Collection{T}(string)"/>.
/// </summary>
/// <typeparam name="T">
/// Your document type. A string property marked <see cref="BaasIdAttribute"/> (or named <c>Id</c>) holds the
/// document id; use <see cref="JsonObject"/> for schemaless access.
/// </typeparam>
public class DocumentCollection<T> : Query<T>
{
    internal DocumentCollection(BaasTransport transport, DocumentMapper<T> mapper, string name)
        : base(transport, mapper, name, QueryState.Empty)
    {
    }

    /// <summary>For mocking frameworks only.</summary>
    protected DocumentCollection()
    {
    }

    /// <summary>The collection name.</summary>
    public string Name => CollectionName;

    /// <summary>
    /// Creates a document. Its id is the id property of <paramref name="data"/> when set (it must match
    /// <c>^[A-Za-z0-9_-]{1,128}$</c>), else one the server generates. Never retried (a retry could create twice).
    /// </summary>
    /// <param name="data">The document.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored document with its id, version 1 and timestamps.</returns>
    /// <exception cref="BaasException">409 <c>already_exists</c> for a taken id, 422 for a schema violation, ...</exception>
    public virtual async Task<Document<T>> AddAsync(T data, CancellationToken cancellationToken = default)
    {
        var body = Mapper.ToBody(data, includeId: true);
        var response = await Transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.Documents(Name), body), cancellationToken).ConfigureAwait(false);
        return Mapper.FromJson(response.Body);
    }

    /// <summary>Reads a document by id.</summary>
    /// <param name="id">The document id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The document, or null when there is no document with this id (other failures throw).</returns>
    /// <exception cref="BaasException">The collection is not defined (404 <c>collection_not_found</c>), access is denied, ...</exception>
    public virtual async Task<Document<T>?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            var response = await Transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.Document(Name, id)), cancellationToken).ConfigureAwait(false);
            return Mapper.FromJson(response.Body);
        }
        catch (BaasException ex) when (IsDocumentNotFound(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// Replaces a document's fields with <paramref name="data"/> (fields not in it are removed).
    /// </summary>
    /// <param name="id">The document id.</param>
    /// <param name="data">The new content; its id property, if set, must equal <paramref name="id"/>.</param>
    /// <param name="upsert">Create the document when it does not exist (else that is a 404 <see cref="BaasException"/>).</param>
    /// <param name="ifMatch">Write only if the stored version is this one (else 412 <c>version_mismatch</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored document.</returns>
    public virtual async Task<Document<T>> SetAsync(string id, T data, bool upsert = false, long? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var body = Mapper.ToBody(data, includeId: true);
        var path = BaasPaths.Document(Name, id) + (upsert ? "?upsert=true" : string.Empty);
        var response = await Transport.SendAsync(new BaasRequest(HttpMethod.Put, path, body, ifMatch), cancellationToken).ConfigureAwait(false);
        return Mapper.FromJson(response.Body);
    }

    /// <summary>
    /// Changes part of a document, atomically. <paramref name="patch"/> is either a merge patch (RFC 7386: an
    /// object whose fields are set, nested objects merged, <c>null</c> removes a field), e.g. <c>new { done = true }</c>,
    /// or update operators, e.g. <c>new JsonObject { ["$inc"] = new JsonObject { ["priority"] = 1 } }</c>.
    /// Anonymous objects are serialized with the client's serializer options (so <c>Done</c> becomes <c>done</c>). Never retried.
    /// </summary>
    /// <param name="id">The document id.</param>
    /// <param name="patch">The merge patch or operator update.</param>
    /// <param name="ifMatch">Write only if the stored version is this one (else 412 <c>version_mismatch</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The document after the change.</returns>
    public virtual async Task<Document<T>> UpdateAsync(string id, object patch, long? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var body = ToPatchBody(patch);
        var response = await Transport.SendAsync(new BaasRequest(HttpMethod.Patch, BaasPaths.Document(Name, id), body, ifMatch), cancellationToken).ConfigureAwait(false);
        return Mapper.FromJson(response.Body);
    }

    /// <summary>Changes part of a document with typed update operators: <c>u =&gt; u.Set(t =&gt; t.Done, true).Increment(t =&gt; t.Priority, 1)</c>. Never retried.</summary>
    /// <param name="id">The document id.</param>
    /// <param name="update">Builds the update.</param>
    /// <param name="ifMatch">Write only if the stored version is this one (else 412 <c>version_mismatch</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The document after the change.</returns>
    public virtual Task<Document<T>> UpdateAsync(string id, Action<DocumentUpdate<T>> update, long? ifMatch = null, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, (object)BuildUpdate(update), ifMatch, cancellationToken);

    /// <summary>Deletes a document.</summary>
    /// <param name="id">The document id.</param>
    /// <param name="ifMatch">Delete only if the stored version is this one (else 412 <c>version_mismatch</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when it was deleted, false when there was no such document.</returns>
    public virtual async Task<bool> DeleteAsync(string id, long? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            await Transport.SendAsync(new BaasRequest(HttpMethod.Delete, BaasPaths.Document(Name, id), null, ifMatch), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (IsDocumentNotFound(ex))
        {
            return false;
        }
    }

    internal JsonObject BuildUpdate(Action<DocumentUpdate<T>> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var builder = new DocumentUpdate<T>(Mapper.Options, Mapper.IdProperty);
        update(builder);
        var json = builder.ToJson();
        return json.Count > 0 ? json : throw new ArgumentException("The update sets nothing.", nameof(update));
    }

    internal JsonObject ToPatchBody(object patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        return patch switch
        {
            JsonObject json => (JsonObject)json.DeepClone(),
            T typed => Mapper.ToBody(typed, includeId: false),
            _ => JsonSerializer.SerializeToNode(patch, patch.GetType(), Mapper.Options) as JsonObject
                ?? throw new ArgumentException("A patch must serialize to a JSON object.", nameof(patch)),
        };
    }

    private static bool IsDocumentNotFound(BaasException ex) => ex.Status == 404 && ex.Code == "not_found";
}
