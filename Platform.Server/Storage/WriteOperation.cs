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

/// <summary>Store a new document; fails with <see cref="DuplicateIdException"/> when the id exists.</summary>
public sealed record InsertOperation(string Collection, JsonObject Document) : WriteOperation(Collection);

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
