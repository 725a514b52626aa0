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
/// <param name="Fields">The top-level fields the caller reads (system fields by name, e.g. <c>_id</c>, <c>_version</c>), or
/// null for whole documents. Each listed field comes back as stored; a provider may leave every other field out. MongoDB
/// projects in the database, so a cleanup that deletes by id reads no record (and a query its index covers reads no
/// document at all); SQLite returns whole documents, since its row read costs the same.</param>
public sealed record DocumentQuery(
    FilterNode Filter,
    IReadOnlyList<SortField> Sort,
    int Limit,
    IReadOnlyList<JsonElement>? After = null,
    TimeSpan? Timeout = null,
    IReadOnlyList<string>? Fields = null);

/// <summary>
/// Keyset paging over a sort key that holds arrays cannot be exact: MongoDB orders a document by the smallest (ascending)
/// or largest (descending) element while a cursor keeps the whole array, and a comparison on an array matches when any
/// element does, so pages skip or repeat documents. Both providers therefore refuse such a page with
/// <see cref="SortOverArrayException"/>: when a query continues from a cursor (<see cref="DocumentQuery.After"/>) or
/// fills its limit (a next page may follow), and some document matching its filter holds an array on a sort path
/// (at the path itself, or on the way to it other than before a numeric index such as <c>items.0</c>).
/// A sorted query that fits in one page is answered (arrays sort as documented per provider).
/// </summary>
public static class KeysetArrays
{
    /// <summary>Whether the page is, or may be followed by, a keyset continuation.</summary>
    public static bool MayPage(DocumentQuery query, int returned)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.After is not null || returned >= query.Limit;
    }

    /// <summary>
    /// The paths at which an array breaks keyset paging over <paramref name="sort"/>: each sort path and each path on the
    /// way to it, except a prefix followed by a numeric segment (<c>items.0</c> picks one element) and system fields,
    /// which the server writes as scalars. For <c>a.b</c>: <c>a</c>, <c>a.b</c>.
    /// </summary>
    public static IReadOnlyList<string> Candidates(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var result = new List<string>();
        foreach (var field in sort)
        {
            if (SystemFields.All.Contains(field.Path))
            {
                continue;
            }

            var segments = field.Path.Split('.');
            for (var i = 1; i <= segments.Length; i++)
            {
                if (i < segments.Length && IsIndex(segments[i]))
                {
                    continue;
                }

                var candidate = string.Join('.', segments, 0, i);
                if (!result.Contains(candidate, StringComparer.Ordinal))
                {
                    result.Add(candidate);
                }
            }
        }

        return result;
    }

    /// <summary>The sort path that <paramref name="candidate"/> (from <see cref="Candidates"/>) lies on, for the error.</summary>
    public static string SortPathOf(IReadOnlyList<SortField> sort, string candidate)
    {
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(candidate);
        return sort.Select(f => f.Path).FirstOrDefault(p => p == candidate || p.StartsWith(candidate + ".", StringComparison.Ordinal)) ?? candidate;
    }

    private static bool IsIndex(string segment) => segment.Length is > 0 and < 10 && segment.All(char.IsAsciiDigit);
}
