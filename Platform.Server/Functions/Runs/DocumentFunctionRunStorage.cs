using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Functions.Definitions;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// Run records as documents of the <c>_function_runs</c> collection (<see cref="FunctionRunJson.Collection"/>), with the
/// one index <see cref="FunctionCollectionsInitializer.RunIndexes"/>: the storage of a provider without a runs table of
/// its own (MongoDB). Every read is a keyset read of that index (<c>MongoKeysetIndexTests</c>).
/// </summary>
public sealed class DocumentFunctionRunStorage(IDocumentStore store) : IFunctionRunStorage
{
    private static readonly SortField[] NewestFirst = [new("startedAt", Descending: true), new(SystemFields.Id, Descending: true)];

    private static readonly SortField[] OldestFirst = [new("startedAt"), new(SystemFields.Id)];

    // The runs index's first field alone: the next function's name is the index's next entry on every provider (a sort
    // that adds fields the index does not lead with, such as the id, would make MongoDB sort every later run to find one).
    private static readonly SortField[] ByFunction = [new("function")];

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await store.CreateCollectionAsync(FunctionRunJson.Collection, cancellationToken);
        await store.ApplyIndexesAsync(FunctionRunJson.Collection, FunctionCollectionsInitializer.RunIndexes, cancellationToken);
    }

    public WriteOperation Insert(FunctionRunRecord run, bool eventDocuments = true)
    {
        ArgumentNullException.ThrowIfNull(run);

        // Without the event's documents the record is written straight to its JSON (no node tree): a before trigger's.
        return eventDocuments
            ? new InsertOperation(FunctionRunJson.Collection, FunctionRunJson.ToDocument(run))
            : new InsertOperation(FunctionRunJson.Collection, run.Id, FunctionRunJson.ToUtf8Json(run, eventDocuments: false));
    }

    public Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        store.GetAsync(FunctionRunJson.Collection, id, cancellationToken);

    public Task<IReadOnlyList<JsonObject>> NewestAsync(string function, RunStatus status, bool? deadLetter, RunKey? after, int limit, CancellationToken cancellationToken = default) =>
        store.QueryAsync(
            FunctionRunJson.Collection,
            ListQuery(function, status, deadLetter, limit, after is { } a ? [ScalarJson.Element(a.StartedAt), ScalarJson.Element(a.Id)] : null),
            cancellationToken);

    /// <summary>
    /// The document store deletes by id only, so the ids are read first (only the ids: a projection MongoDB applies in the
    /// database, over fields the run index holds, where it read the whole records).
    /// A record another node deleted in between fails the delete with <see cref="VersionMismatchException"/>: nothing is
    /// deleted and 0 is answered; the next pass deletes what is left.
    /// </summary>
    public async Task<int> DeleteStartedBeforeAsync(string function, RunStatus status, DateTimeOffset startedBefore, int limit, CancellationToken cancellationToken = default)
    {
        var oldest = await store.QueryAsync(FunctionRunJson.Collection, RetentionQuery(function, status, startedBefore, limit), cancellationToken);
        if (oldest.Count == 0)
        {
            return 0;
        }

        try
        {
            await store.WriteAsync([.. oldest.Select(run => new DeleteOperation(FunctionRunJson.Collection, run[SystemFields.Id]!.GetValue<string>()))], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return 0;
        }

        return oldest.Count;
    }

    public async Task<string?> NextFunctionAsync(string? after, CancellationToken cancellationToken = default)
    {
        var next = await store.QueryAsync(FunctionRunJson.Collection, NextFunctionQuery(after), cancellationToken);
        return next.Count == 0 ? null : next[0]["function"]!.GetValue<string>();
    }

    /// <summary>The read of <see cref="NewestAsync"/>: one function and status, newest first, after <paramref name="after"/>.</summary>
    internal static DocumentQuery ListQuery(string function, RunStatus status, bool? deadLetter, int limit, IReadOnlyList<JsonElement>? after)
    {
        var conditions = new List<FilterNode> { Eq("function", function), Eq("status", status.Name()) };
        if (deadLetter is { } d)
        {
            conditions.Add(new FieldNode("deadLetter", FieldOperator.Eq, ScalarJson.Element(d)));
        }

        return new DocumentQuery(new AndNode(conditions), NewestFirst, limit, after);
    }

    /// <summary>The read of <see cref="DeleteStartedBeforeAsync"/>: one function and status, oldest first.</summary>
    internal static DocumentQuery RetentionQuery(string function, RunStatus status, DateTimeOffset cutoff, int limit) =>
        new(
            new AndNode([
                Eq("function", function),
                Eq("status", status.Name()),
                new FieldNode("startedAt", FieldOperator.Lt, ScalarJson.Element(Timestamps.Format(cutoff))),
            ]),
            OldestFirst,
            limit,
            Fields: [SystemFields.Id]);

    /// <summary>The first run (in index order) of the first function after <paramref name="after"/>: its name is the next one.</summary>
    internal static DocumentQuery NextFunctionQuery(string? after) =>
        new(after is null ? MatchAllNode.Instance : new FieldNode("function", FieldOperator.Gt, ScalarJson.Element(after)), ByFunction, 1);

    private static FieldNode Eq(string path, string value) => new(path, FieldOperator.Eq, ScalarJson.Element(value));
}
