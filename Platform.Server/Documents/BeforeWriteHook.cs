using System.Text.Json.Nodes;
using Platform.Server.Functions;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>
/// The seam through which <see cref="DocumentService"/> runs <c>before</c> triggers (DESIGN.md section 9) inside a
/// write, after the rules and before the schema check. Implemented by <c>Functions/Triggers/BeforeTriggers</c>; absent
/// (null) in hosts without functions.
/// </summary>
public interface IBeforeWriteHook
{
    /// <summary>
    /// The triggers that listen to <paramref name="operation"/> on <paramref name="collection"/>, or null when there is
    /// none: the common case, answered synchronously from a cached index without allocating.
    /// </summary>
    ValueTask<IBeforeWriteTriggers?> FindAsync(string collection, TriggerOperation operation, CancellationToken cancellationToken = default);
}

/// <summary>The <c>before</c> triggers of one collection and operation, in the order they run.</summary>
public interface IBeforeWriteTriggers
{
    /// <summary>
    /// Runs every trigger, each seeing the data the previous one left. Throws an <see cref="Common.DomainException"/>
    /// (<c>rejected_by_function</c>, <c>before_trigger_failed</c>) when one refuses the write; the runs of a refused
    /// write are already recorded then.
    /// </summary>
    /// <param name="write">What is written.</param>
    /// <param name="cancellationToken">Cancels the runs.</param>
    /// <returns>The user fields to store instead (validated like a client's body), or null when unchanged; and what to do once the write committed (record the runs).</returns>
    Task<BeforeWriteResult> RunAsync(BeforeWrite write, CancellationToken cancellationToken = default);
}

/// <summary>One write as a <c>before</c> trigger sees it.</summary>
/// <param name="Operation">create, update or delete.</param>
/// <param name="Collection">The collection written.</param>
/// <param name="DocumentId">The document's id.</param>
/// <param name="Data">The document as the write would store it, system fields included (null for a delete).</param>
/// <param name="Before">The stored document (null for a create).</param>
/// <param name="Caller">Who writes: <c>ctx.auth</c>, the rules of <c>ctx.userDb</c>, and the origin for the loop guard.</param>
public sealed record BeforeWrite(TriggerOperation Operation, string Collection, string DocumentId, JsonObject? Data, JsonObject? Before, Caller Caller);

/// <summary>What the triggers made of a write.</summary>
/// <param name="Fields">The user fields to store instead of the write's (null: unchanged).</param>
/// <param name="Committed">
/// Called once the write committed (not when it failed after the triggers ran, or is planned again after a lost race):
/// queues the records of the successful runs. Null when there is nothing to do.
/// </param>
public sealed record BeforeWriteResult(JsonObject? Fields, Func<CancellationToken, ValueTask>? Committed)
{
    /// <summary>
    /// Store writes to commit in the same <see cref="IDocumentStore.WriteAsync"/> call as the document (the records of the
    /// successful runs, where <see cref="IDocumentStore.CombinedWritesAreCheap"/>): they commit with it or not at all,
    /// and a lost race that plans the write again drops them with it. Null when there is none.
    /// </summary>
    public IReadOnlyList<WriteOperation>? Writes { get; init; }
}
