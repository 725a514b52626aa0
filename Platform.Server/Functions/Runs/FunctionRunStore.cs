using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Functions.Runs;

/// <summary>A page of runs, newest first, and the cursor of the next page (null at the end).</summary>
public sealed record FunctionRunPage(IReadOnlyList<FunctionRunRecord> Items, string? NextCursor);

/// <summary>
/// Run records in <c>_function_runs</c> (<c>_id</c> = run id): write once (now, queued on the
/// <see cref="FunctionRunWriter"/>, or with a document in its own store write: <see cref="Insert"/>), read, list newest first with keyset paging, delete by age. Reads first wait for
/// the records queued before them, so a record queued on this node is never missing from a read that follows it.
/// </summary>
public sealed class FunctionRunStore(IDocumentStore store, FunctionRunWriter writer)
{
    /// <summary>Page size of the runs API when no <c>limit</c> is given.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Largest page of the runs API.</summary>
    public const int MaxLimit = 500;

    private static readonly SortField[] NewestFirst = [new("startedAt", Descending: true), new(SystemFields.Id, Descending: true)];

    private static readonly SortField[] OldestFirst = [new("startedAt"), new(SystemFields.Id)];

    // The runs index's first field alone: the next function's name is the index's next entry on every provider (a sort
    // that adds fields the index does not lead with, such as the id, would make MongoDB sort every later run to find one).
    private static readonly SortField[] ByFunction = [new("function")];

    private static readonly RunStatus[] FailedStatuses = [RunStatus.Failed, RunStatus.TimedOut];

    private static readonly RunStatus[] AllStatuses = Enum.GetValues<RunStatus>();

    public async Task SaveAsync(FunctionRunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await store.WriteAsync([Insert(run)], cancellationToken);
    }

    /// <summary>Queues <paramref name="run"/> for a group write off the caller's path (<see cref="FunctionRunWriter"/>).</summary>
    public ValueTask EnqueueAsync(FunctionRunRecord run, CancellationToken cancellationToken = default) =>
        writer.EnqueueAsync(run, cancellationToken);

    /// <summary>The store write that saves <paramref name="run"/>, for a caller that commits it with other writes.</summary>
    public static InsertOperation Insert(FunctionRunRecord run) => new(FunctionRunJson.Collection, FunctionRunJson.ToDocument(run));

    /// <summary>The run of <paramref name="function"/> with this id, or null (also when the id belongs to another function).</summary>
    public async Task<FunctionRunRecord?> GetAsync(string function, string id, CancellationToken cancellationToken = default)
    {
        await writer.FlushAsync(cancellationToken);
        var stored = await store.GetAsync(FunctionRunJson.Collection, id, cancellationToken);
        return stored is not null && stored["function"]?.GetValue<string>() == function ? FunctionRunJson.FromJson(stored) : null;
    }

    /// <summary>
    /// Runs of one function, newest first. With no <paramref name="status"/>, one keyset read per status on the
    /// <c>(function, status, startedAt)</c> index, merged.
    /// </summary>
    /// <exception cref="InvalidInputException">A cursor this server did not make (<c>invalid_cursor</c>).</exception>
    public async Task<FunctionRunPage> ListAsync(string function, RunStatus? status, bool? deadLetter, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        var after = DecodeCursor(cursor);
        await writer.FlushAsync(cancellationToken);
        var found = new List<JsonObject>();
        // Only failed and timed-out runs become dead letters (FunctionExecutor), so a dead-letter list reads only those.
        var statuses = status is { } one ? [one] : deadLetter is true ? FailedStatuses : AllStatuses;
        foreach (var s in statuses)
        {
            found.AddRange(await store.QueryAsync(FunctionRunJson.Collection, ListQuery(function, s, deadLetter, limit, after), cancellationToken));
        }

        var page = found.OrderByDescending(StartedAt, StringComparer.Ordinal).ThenByDescending(Id, StringComparer.Ordinal).Take(limit + 1).ToList();
        var items = page.Take(limit).Select(FunctionRunJson.FromJson).ToList();
        var next = page.Count > limit ? EncodeCursor(items[^1]) : null;
        return new FunctionRunPage(items, next);
    }

    /// <summary>
    /// The read of <see cref="ListAsync"/> for one status: one more than <paramref name="limit"/> runs (to know whether a
    /// next page exists) after <paramref name="after"/>, newest first.
    /// </summary>
    internal static DocumentQuery ListQuery(string function, RunStatus status, bool? deadLetter, int limit, IReadOnlyList<JsonElement>? after)
    {
        var conditions = new List<FilterNode> { Eq("function", function), Eq("status", status.Name()) };
        if (deadLetter is { } d)
        {
            conditions.Add(new FieldNode("deadLetter", FieldOperator.Eq, JsonSerializer.SerializeToElement(d)));
        }

        return new DocumentQuery(new AndNode(conditions), NewestFirst, limit + 1, after);
    }

    /// <summary>
    /// The newest <paramref name="limit"/> runs of any function that ended <c>failed</c> or <c>timedOut</c> (a
    /// <c>ctx.reject</c> is the function's answer, not a failure), newest first. For each function that has runs, one
    /// keyset read per status on the <c>(function, status, startedAt)</c> index, merged: never a scan of the run history.
    /// </summary>
    public async Task<IReadOnlyList<FunctionRunRecord>> RecentFailuresAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return [];
        }

        var newest = new List<JsonObject>();
        await foreach (var function in FunctionsAsync(cancellationToken))
        {
            foreach (var status in FailedStatuses)
            {
                newest.AddRange(await store.QueryAsync(FunctionRunJson.Collection, FailuresQuery(function, status, limit), cancellationToken));
            }

            newest = [.. newest.OrderByDescending(StartedAt, StringComparer.Ordinal).ThenByDescending(Id, StringComparer.Ordinal).Take(limit)];
        }

        return [.. newest.Select(FunctionRunJson.FromJson)];
    }

    /// <summary>The read of <see cref="RecentFailuresAsync"/> for one function and status: newest first.</summary>
    internal static DocumentQuery FailuresQuery(string function, RunStatus status, int limit) =>
        new(new AndNode([Eq("function", function), Eq("status", status.Name())]), NewestFirst, limit);

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> runs that started before <paramref name="cutoff"/>, oldest first; returns
    /// how many. For each function that has runs, one keyset read per status on the <c>(function, status, startedAt)</c>
    /// index, merged: the store keeps no index on <c>startedAt</c> alone, which every run's insert would pay for.
    /// </summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var oldest = new List<JsonObject>();
        await foreach (var function in FunctionsAsync(cancellationToken))
        {
            foreach (var status in AllStatuses)
            {
                oldest.AddRange(await store.QueryAsync(FunctionRunJson.Collection, RetentionQuery(function, status, cutoff, batchSize), cancellationToken));
            }

            oldest = [.. oldest.OrderBy(StartedAt, StringComparer.Ordinal).ThenBy(Id, StringComparer.Ordinal).Take(batchSize)];
        }

        if (oldest.Count == 0)
        {
            return 0;
        }

        try
        {
            await store.WriteAsync([.. oldest.Select(d => new DeleteOperation(FunctionRunJson.Collection, Id(d)))], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            // Another node's sweep deleted some of them first; the next pass picks up what is left.
            return 0;
        }

        return oldest.Count;
    }

    /// <summary>The read of <see cref="DeleteOlderThanAsync"/> for one function and status: oldest first.</summary>
    internal static DocumentQuery RetentionQuery(string function, RunStatus status, DateTimeOffset cutoff, int limit) =>
        new(
            new AndNode([
                Eq("function", function),
                Eq("status", status.Name()),
                new FieldNode("startedAt", FieldOperator.Lt, JsonSerializer.SerializeToElement(Timestamps.Format(cutoff))),
            ]),
            OldestFirst,
            limit);

    /// <summary>
    /// The names of the functions that have runs (deleted functions' included), in order: one read of a single index
    /// entry per function, each starting after the last name (<see cref="NextFunctionQuery"/>).
    /// </summary>
    private async IAsyncEnumerable<string> FunctionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        while (true)
        {
            var next = await store.QueryAsync(FunctionRunJson.Collection, NextFunctionQuery(last), cancellationToken);
            if (next.Count == 0)
            {
                yield break;
            }

            last = next[0]["function"]!.GetValue<string>();
            yield return last;
        }
    }

    /// <summary>The first run (in index order) of the first function after <paramref name="after"/>: its name is the next one.</summary>
    internal static DocumentQuery NextFunctionQuery(string? after) =>
        new(after is null ? MatchAllNode.Instance : new FieldNode("function", FieldOperator.Gt, JsonSerializer.SerializeToElement(after)), ByFunction, 1);

    private static string StartedAt(JsonObject run) => run["startedAt"]!.GetValue<string>();

    private static string Id(JsonObject run) => run[SystemFields.Id]!.GetValue<string>();

    private static FieldNode Eq(string path, string value) => new(path, FieldOperator.Eq, JsonSerializer.SerializeToElement(value));

    private static string EncodeCursor(FunctionRunRecord last)
    {
        var json = new JsonArray(Timestamps.Format(last.StartedAt), last.Id).ToJsonString();
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
    }

    private static IReadOnlyList<JsonElement>? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var values = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(cursor));
            if (values is { Length: 2 })
            {
                return [JsonSerializer.SerializeToElement(values[0]), JsonSerializer.SerializeToElement(values[1])];
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Reported below.
        }

        throw new InvalidInputException("invalid_cursor", "The cursor is not one this server made; pass nextCursor from a previous page.", "cursor");
    }
}
