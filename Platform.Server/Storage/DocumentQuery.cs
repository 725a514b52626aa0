using System.Text.Json;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage;

/// <summary>One key of a sort or of an index: a dot path and its direction.</summary>
public sealed record SortField(string Path, bool Descending = false)
{
    public override string ToString() => Descending ? "-" + Path : Path;
}

/// <summary>
/// A page request. <see cref="Sort"/> always ends with <c>_id</c> (the service appends it), so the
/// order is total and a keyset cursor is exact.
/// </summary>
/// <param name="Filter">What to match.</param>
/// <param name="Sort">Sort keys, compared in MongoDB's type order (missing and null first, then
/// numbers, strings, objects, arrays, booleans), each ascending or descending.</param>
/// <param name="Limit">How many documents to return at most (the service asks one more than the page size).</param>
/// <param name="After">Keyset position: one value per sort key (JSON null for missing); only documents
/// strictly after this tuple in sort order are returned. Null for the first page.</param>
/// <param name="Timeout">The time budget of this call: when the query is still running after this long, the store stops
/// it (SQLite interrupts the statement; MongoDB is sent <c>maxTimeMS</c>) and throws <see cref="QueryTimeoutException"/>.
/// Null means no budget (system reads of the server itself). The cancellation token stops the query as well, at any
/// point, with <see cref="OperationCanceledException"/>.</param>
public sealed record DocumentQuery(
    FilterNode Filter,
    IReadOnlyList<SortField> Sort,
    int Limit,
    IReadOnlyList<JsonElement>? After = null,
    TimeSpan? Timeout = null);
