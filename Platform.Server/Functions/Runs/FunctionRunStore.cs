using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Runs;

/// <summary>A page of runs, newest first, and the cursor of the next page (null at the end).</summary>
public sealed record FunctionRunPage(IReadOnlyList<FunctionRunRecord> Items, string? NextCursor);

/// <summary>
/// Run records (<see cref="IFunctionRunStorage"/>: on SQLite a table of their own, on MongoDB <c>_function_runs</c>;
/// <c>_id</c> = run id): write once (now, queued on the <see cref="FunctionRunWriter"/>, or with a document in its own
/// store write: <see cref="Insert"/>), read, list newest first with keyset paging, delete by age. Reads first wait for
/// the records queued before them, so a record queued on this node is never missing from a read that follows it.
/// </summary>
public sealed class FunctionRunStore(IDocumentStore store, IFunctionRunStorage storage, FunctionRunWriter writer)
{
    /// <summary>Page size of the runs API when no <c>limit</c> is given.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Largest page of the runs API.</summary>
    public const int MaxLimit = 500;

    private static readonly RunStatus[] FailedStatuses = [RunStatus.Failed, RunStatus.TimedOut];

    private static readonly RunStatus[] AllStatuses = Enum.GetValues<RunStatus>();

    public async Task SaveAsync(FunctionRunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await store.WriteAsync([storage.Insert(run)], cancellationToken);
    }

    /// <summary>Queues <paramref name="run"/> for a group write off the caller's path (<see cref="FunctionRunWriter"/>).</summary>
    public ValueTask EnqueueAsync(FunctionRunRecord run, CancellationToken cancellationToken = default) =>
        writer.EnqueueAsync(run, cancellationToken);

    /// <summary>
    /// The store write that saves <paramref name="run"/>, for a caller that commits it with other writes; without the
    /// event's documents when <paramref name="eventDocuments"/> is false (<see cref="IFunctionRunStorage.Insert"/>).
    /// </summary>
    public WriteOperation Insert(FunctionRunRecord run, bool eventDocuments = true) => storage.Insert(run, eventDocuments);

    /// <summary>The run of <paramref name="function"/> with this id, or null (also when the id belongs to another function).</summary>
    public async Task<FunctionRunRecord?> GetAsync(string function, string id, CancellationToken cancellationToken = default)
    {
        await writer.FlushAsync(cancellationToken);
        var stored = await storage.GetAsync(id, cancellationToken);
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
            // One more than the page, to know whether a next page exists.
            found.AddRange(await storage.NewestAsync(function, s, deadLetter, after, limit + 1, cancellationToken));
        }

        var page = found.OrderByDescending(StartedAt, StringComparer.Ordinal).ThenByDescending(Id, StringComparer.Ordinal).Take(limit + 1).ToList();
        var items = page.Take(limit).Select(FunctionRunJson.FromJson).ToList();
        var next = page.Count > limit ? EncodeCursor(items[^1]) : null;
        return new FunctionRunPage(items, next);
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
                newest.AddRange(await storage.NewestAsync(function, status, deadLetter: null, after: null, limit, cancellationToken));
            }

            newest = [.. newest.OrderByDescending(StartedAt, StringComparer.Ordinal).ThenByDescending(Id, StringComparer.Ordinal).Take(limit)];
        }

        return [.. newest.Select(FunctionRunJson.FromJson)];
    }

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> runs that started before <paramref name="cutoff"/> (oldest first within a
    /// function and status); returns how many. For each function that has runs, one delete per status by the
    /// <c>(function, status, startedAt)</c> index: the store keeps no index on <c>startedAt</c> alone, which every run's
    /// insert would pay for. Which old runs go first across functions does not matter: a sweep deletes them all.
    /// </summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);

        // Each function and status is one range of the runs index; the pass deletes from them in turn until it has deleted
        // batchSize runs (the sweep calls again while a pass fills its batch), without reading the records it deletes.
        var deleted = 0;
        await foreach (var function in FunctionsAsync(cancellationToken))
        {
            foreach (var status in AllStatuses)
            {
                deleted += await storage.DeleteStartedBeforeAsync(function, status, cutoff, batchSize - deleted, cancellationToken);
                if (deleted == batchSize)
                {
                    return deleted;
                }
            }
        }

        return deleted;
    }

    /// <summary>The names of the functions that have runs (deleted functions' included), in order: one index read each.</summary>
    private async IAsyncEnumerable<string> FunctionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        while (await storage.NextFunctionAsync(last, cancellationToken) is { } next)
        {
            last = next;
            yield return next;
        }
    }

    private static string StartedAt(JsonObject run) => run["startedAt"]!.GetValue<string>();

    private static string Id(JsonObject run) => run[SystemFields.Id]!.GetValue<string>();

    private static string EncodeCursor(FunctionRunRecord last)
    {
        var json = new JsonArray(Timestamps.Format(last.StartedAt), last.Id).ToJsonString();
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
    }

    private static RunKey? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var values = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(cursor));
            if (values is [{ } startedAt, { } id])
            {
                return new RunKey(startedAt, id);
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Reported below.
        }

        throw new InvalidInputException("invalid_cursor", "The cursor is not one this server made; pass nextCursor from a previous page.", "cursor");
    }
}
