using System.Text.Json.Nodes;

namespace Platform.Server.Storage;

/// <summary>
/// One primitive write. The service computes complete documents (system fields included) before it
/// writes, so providers never interpret update operators: they store what they are given, atomically.
/// </summary>
public abstract record WriteOperation(string Collection)
{
    /// <summary>
    /// Set when a function run makes the write: the provider stores it with the change, and the change feed hands it
    /// back on <see cref="Changes.StoredChange.Origin"/> (never in the document itself), so <c>after</c> triggers can
    /// apply the loop guard and the chain-depth limit. Null for every other write.
    /// </summary>
    public Functions.WriteOrigin? Origin { get; init; }
}

/// <summary>
/// Store a new document; fails with <see cref="DuplicateIdException"/> when the id exists. Made from the document, or
/// from its JSON already serialized (<see cref="InsertOperation(string, string, ReadOnlyMemory{byte})"/>): a caller
/// that writes the JSON itself (a <c>before</c> trigger's run record) saves building a node tree only to have it
/// serialized again, and a provider that stores JSON text (SQLite) stores those bytes as they are.
/// </summary>
public sealed record InsertOperation : WriteOperation
{
    private JsonObject? _document;

    public InsertOperation(string collection, JsonObject document)
        : base(collection)
    {
        ArgumentNullException.ThrowIfNull(document);
        _document = document;
    }

    /// <summary>A document given as its UTF-8 JSON: an object with every system field, <c>_id</c> = <paramref name="id"/>.</summary>
    public InsertOperation(string collection, string id, ReadOnlyMemory<byte> utf8Json)
        : base(collection)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        Utf8Json = utf8Json;
    }

    /// <summary>The document; for one given as JSON, parsed on first read (a provider that stores the JSON never reads it).</summary>
    public JsonObject Document => _document ??= JsonNode.Parse(Utf8Json!.Value.Span)!.AsObject();

    /// <summary>The document's <c>_id</c> when it was given as JSON, else null (read it from <see cref="Document"/>).</summary>
    public string? Id { get; }

    /// <summary>The document's UTF-8 JSON when it was given so, else null.</summary>
    public ReadOnlyMemory<byte>? Utf8Json { get; }
}

/// <summary>
/// Replace the stored document with the same <c>_id</c>, only if its stored <c>_version</c> equals
/// <see cref="ExpectedVersion"/>; otherwise fails with <see cref="VersionMismatchException"/>
/// (also when the document does not exist). <see cref="Document"/> carries the new <c>_version</c>.
/// </summary>
public sealed record ReplaceOperation(string Collection, JsonObject Document, long ExpectedVersion) : WriteOperation(Collection);

/// <summary>
/// Delete by id; when <see cref="ExpectedVersion"/> is set, only if the stored version equals it.
/// A missing document fails with <see cref="VersionMismatchException"/> whose actual version is null.
/// </summary>
public sealed record DeleteOperation(string Collection, string Id, long? ExpectedVersion = null) : WriteOperation(Collection);
