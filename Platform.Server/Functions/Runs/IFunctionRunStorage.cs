using System.Text.Json.Nodes;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Runs;

/// <summary>The position of a run in the newest-first order of the runs reads: its <c>startedAt</c>, then its id.</summary>
public readonly record struct RunKey(string StartedAt, string Id);

/// <summary>
/// Where run records are kept, and the few reads the runs API, recent failures and retry make of them, and retention's delete
/// (<see cref="FunctionRunStore"/> merges them). Two implementations: on SQLite a table of its own with the read keys as
/// plain columns (<c>Storage/Sqlite/SqliteFunctionRunStorage</c>), elsewhere the <c>_function_runs</c> collection
/// (<see cref="DocumentFunctionRunStorage"/>, MongoDB). Records are returned as stored: <see cref="FunctionRunJson.ToDocument"/>'s
/// JSON, <c>_id</c> = run id. Records are written through <see cref="IDocumentStore.WriteAsync"/> with the operation
/// <see cref="Insert"/> makes, so a caller commits them with other writes (a <c>before</c> trigger with its document).
/// </summary>
public interface IFunctionRunStorage
{
    /// <summary>Creates what the records need (table or collection, index) and moves an older layout's records over. Idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The store write that inserts <paramref name="run"/> (fails with <see cref="DuplicateIdException"/> when its id is
    /// there). With <paramref name="eventDocuments"/> false the event's <c>before</c>, <c>after</c> and <c>data</c> are left
    /// out (a successful <c>before</c> run's record).
    /// </summary>
    WriteOperation Insert(FunctionRunRecord run, bool eventDocuments = true);

    /// <summary>The record with this id, or null.</summary>
    Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> runs of <paramref name="function"/> with <paramref name="status"/> (and
    /// <paramref name="deadLetter"/> when set), newest first (<c>startedAt</c>, then id, descending), after <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<JsonObject>> NewestAsync(string function, RunStatus status, bool? deadLetter, RunKey? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes up to <paramref name="limit"/> runs of <paramref name="function"/> with <paramref name="status"/>
    /// that started before <paramref name="startedBefore"/>, oldest first; returns how many it deleted (0 when another node's
    /// pass deleted them first).
    /// </summary>
    Task<int> DeleteStartedBeforeAsync(string function, RunStatus status, DateTimeOffset startedBefore, int limit, CancellationToken cancellationToken = default);

    /// <summary>The first function name after <paramref name="after"/> (all when null), in ordinal order, that has runs; null when none.</summary>
    Task<string?> NextFunctionAsync(string? after, CancellationToken cancellationToken = default);
}
