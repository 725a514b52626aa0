using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Documents;
using Platform.Sdk.Http;
using Platform.Sdk.Queries;

namespace Platform.Sdk;

/// <summary>
/// A query over one collection: filters, sort order and a limit. Queries are immutable: every
/// <c>Where</c>, <c>OrderBy</c> or <c>Limit</c> returns a new query, so a query can be kept and reused.
/// Nothing is sent until <see cref="ToListAsync"/>, <see cref="FirstOrDefaultAsync"/>,
/// <see cref="CountAsync"/>, <see cref="GetPageAsync"/> or <see cref="AsAsyncEnumerable"/>.
/// </summary>
/// <typeparam name="T">The document type.</typeparam>
public class Query<T>
{
    /// <summary>The page size used when paging without a <see cref="Limit"/> (the server allows at most 1,000).</summary>
    public const int DefaultPageSize = 100;

    private const int MaxPageSize = 1000;

    private readonly QueryState _state;

    internal Query(BaasTransport transport, DocumentMapper<T> mapper, string collectionName, QueryState state)
    {
        Transport = transport;
        Mapper = mapper;
        CollectionName = collectionName;
        _state = state;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected Query()
    {
        Transport = null!;
        Mapper = null!;
        CollectionName = string.Empty;
        _state = QueryState.Empty;
    }

    /// <summary>The collection this query reads.</summary>
    public string CollectionName { get; }

    internal BaasTransport Transport { get; }

    internal DocumentMapper<T> Mapper { get; }

    /// <summary>
    /// Keeps the documents that satisfy <paramref name="predicate"/>, translated to a server filter now.
    /// Supported: <c>== != &lt; &lt;= &gt; &gt;=</c> between a field and a value, <c>&amp;&amp; || !</c>, bool fields,
    /// null checks, <c>string.StartsWith/Contains</c>, <c>list.Contains(t.Field)</c> (<c>$in</c>),
    /// <c>t.Tags.Contains(value)</c>, <c>t.Items.Any(i =&gt; ...)</c> (<c>$elemMatch</c>), <c>t.Tags.Count == n</c> (<c>$size</c>),
    /// nested members and captured variables. Member names follow your serializer options.
    /// </summary>
    /// <param name="predicate">The condition on a document.</param>
    /// <returns>A new query with the condition added (AND).</returns>
    /// <exception cref="NotSupportedException">The expression has no server equivalent; the message names the part.</exception>
    public virtual Query<T> Where(Expression<Func<T, bool>> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var filter = new FilterTranslator(Mapper.Options, Mapper.IdProperty).Translate(predicate);
        return With(_state with { Filters = [.. _state.Filters, filter] });
    }

    /// <summary>
    /// Keeps the documents whose <paramref name="field"/> (a stored field path such as <c>priority</c> or
    /// <c>address.city</c>) relates to <paramref name="value"/> by <paramref name="op"/>: <c>==</c>, <c>!=</c>, <c>&lt;</c>,
    /// <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>in</c>, <c>not-in</c> (value: a list), <c>contains</c> (an array field holds the value),
    /// <c>startsWith</c>.
    /// </summary>
    /// <param name="field">The stored field path (not the C# member name).</param>
    /// <param name="op">The operator.</param>
    /// <param name="value">The value, serialized with the client's serializer options.</param>
    /// <returns>A new query with the condition added (AND).</returns>
    public virtual Query<T> Where(string field, string op, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        ArgumentException.ThrowIfNullOrWhiteSpace(op);
        var json = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), Mapper.Options);
        JsonObject Op(string name) => new() { [field] = new JsonObject { [name] = json } };
        JsonObject filter = op switch
        {
            "==" => new JsonObject { [field] = json },
            "!=" => Op("$ne"),
            "<" => Op("$lt"),
            "<=" => Op("$lte"),
            ">" => Op("$gt"),
            ">=" => Op("$gte"),
            "in" => json is JsonArray ? Op("$in") : throw new ArgumentException("'in' needs a list of values.", nameof(value)),
            "not-in" => json is JsonArray ? Op("$nin") : throw new ArgumentException("'not-in' needs a list of values.", nameof(value)),
            "contains" or "array-contains" => new JsonObject { [field] = json },
            "startsWith" => value is string ? Op("$startsWith") : throw new ArgumentException("'startsWith' needs a string.", nameof(value)),
            _ => throw new ArgumentException($"Unknown operator '{op}'. Use ==, !=, <, <=, >, >=, in, not-in, contains or startsWith.", nameof(op)),
        };
        if (json is null && op is not ("==" or "!="))
        {
            throw new ArgumentException($"Operator '{op}' needs a value, not null.", nameof(value));
        }

        return With(_state with { Filters = [.. _state.Filters, filter] });
    }

    /// <summary>Keeps the documents matching a filter in the server's JSON query language (see docs/query-language.md).</summary>
    /// <param name="filter">The filter, e.g. <c>{"tags": {"$all": ["a", "b"]}}</c>.</param>
    /// <returns>A new query with the filter added (AND).</returns>
    public virtual Query<T> Where(JsonObject filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return With(_state with { Filters = [.. _state.Filters, (JsonObject)filter.DeepClone()] });
    }

    /// <summary>Sorts by a field, ascending, replacing any earlier sort. Ties are broken by id.</summary>
    /// <typeparam name="TKey">The field type.</typeparam>
    /// <param name="field">The field, e.g. <c>t =&gt; t.Priority</c>.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> OrderBy<TKey>(Expression<Func<T, TKey>> field) => Sort(field, descending: false, then: false);

    /// <summary>Sorts by a field, descending, replacing any earlier sort.</summary>
    /// <typeparam name="TKey">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> OrderByDescending<TKey>(Expression<Func<T, TKey>> field) => Sort(field, descending: true, then: false);

    /// <summary>Adds an ascending sort key after the earlier ones.</summary>
    /// <typeparam name="TKey">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> ThenBy<TKey>(Expression<Func<T, TKey>> field) => Sort(field, descending: false, then: true);

    /// <summary>Adds a descending sort key after the earlier ones.</summary>
    /// <typeparam name="TKey">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> ThenByDescending<TKey>(Expression<Func<T, TKey>> field) => Sort(field, descending: true, then: true);

    /// <summary>Sorts by a stored field path (<c>-</c> prefix for descending, e.g. <c>-_createdAt</c>), replacing any earlier sort.</summary>
    /// <param name="field">The stored field path.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> OrderBy(string field)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        return With(_state with { Sort = [field] });
    }

    /// <summary>Adds a sort key by stored field path (<c>-</c> prefix for descending, e.g. <c>-_createdAt</c>).</summary>
    /// <param name="field">The stored field path.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> ThenBy(string field)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        return With(_state with { Sort = [.. _state.Sort, field] });
    }

    /// <summary>Returns at most <paramref name="count"/> documents in all (paging stops there).</summary>
    /// <param name="count">The most documents to return; 0 returns none.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> Limit(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return With(_state with { Limit = count });
    }

    /// <summary>How many documents to fetch per request when paging (1 to 1,000). Default: the limit, or <see cref="DefaultPageSize"/>.</summary>
    /// <param name="size">The page size.</param>
    /// <returns>A new query.</returns>
    public virtual Query<T> PageSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxPageSize);
        return With(_state with { PageSize = size });
    }

    /// <summary>The filter this query sends, e.g. for logging or to reuse in a batch tool.</summary>
    /// <returns>A new JSON object (empty when the query has no conditions).</returns>
    public virtual JsonObject ToFilterJson() => FilterTranslator.And(_state.Filters);

    /// <summary>The sort keys this query sends (<c>-</c> for descending).</summary>
    /// <returns>The keys in order.</returns>
    public virtual IReadOnlyList<string> ToSortList() => _state.Sort;

    /// <summary>Reads every matching document (up to the <see cref="Limit"/>), fetching page after page.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The documents in query order.</returns>
    public virtual async Task<IReadOnlyList<Document<T>>> ToListAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<Document<T>>();
        await foreach (var document in AsAsyncEnumerable(cancellationToken).ConfigureAwait(false))
        {
            list.Add(document);
        }

        return list;
    }

    /// <summary>The first matching document in query order, or null when none matches.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The document or null.</returns>
    public virtual async Task<Document<T>?> FirstOrDefaultAsync(CancellationToken cancellationToken = default)
    {
        if (_state.Limit == 0)
        {
            return null;
        }

        var page = await FetchAsync(1, null, count: false, cancellationToken).ConfigureAwait(false);
        return page.Items.Count > 0 ? page.Items[0] : null;
    }

    /// <summary>How many documents match the filter (the <see cref="Limit"/> does not apply).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The number of matches.</returns>
    public virtual async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var page = await FetchAsync(1, null, count: true, cancellationToken).ConfigureAwait(false);
        return page.TotalCount ?? throw new BaasException("The server did not answer a count.");
    }

    /// <summary>
    /// Reads one page: pass null for the first page, then <see cref="QueryPage{T}.NextCursor"/> until it is null.
    /// Cursors are keyset positions: inserts and deletes between pages never make a page skip or repeat a document.
    /// </summary>
    /// <param name="cursor">The cursor from the previous page, or null.</param>
    /// <param name="includeCount">Also ask for the total number of matches.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public virtual Task<QueryPage<T>> GetPageAsync(string? cursor = null, bool includeCount = false, CancellationToken cancellationToken = default) =>
        FetchAsync(PageSizeFor(int.MaxValue), cursor, includeCount, cancellationToken);

    /// <summary>Streams every matching document (up to the <see cref="Limit"/>), fetching the next page as you go.</summary>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The documents in query order.</returns>
    public virtual async IAsyncEnumerable<Document<T>> AsAsyncEnumerable([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var remaining = _state.Limit ?? int.MaxValue;
        string? cursor = null;
        while (remaining > 0)
        {
            var page = await FetchAsync(PageSizeFor(remaining), cursor, count: false, cancellationToken).ConfigureAwait(false);
            foreach (var document in page.Items)
            {
                if (remaining-- <= 0)
                {
                    yield break;
                }

                yield return document;
            }

            if (page.NextCursor is null || page.Items.Count == 0)
            {
                yield break;
            }

            cursor = page.NextCursor;
        }
    }

    /// <summary>Creates a query like this one with another state; collections override it to return a plain query.</summary>
    internal Query<T> With(QueryState state) => new(Transport, Mapper, CollectionName, state);

    internal QueryState State => _state;

    private int PageSizeFor(int remaining) =>
        Math.Max(1, Math.Min(_state.PageSize ?? Math.Min(_state.Limit ?? DefaultPageSize, MaxPageSize), remaining));

    private Query<T> Sort(LambdaExpression field, bool descending, bool then)
    {
        ArgumentNullException.ThrowIfNull(field);
        var path = new ExpressionPaths(Mapper.Options, Mapper.IdProperty).GetPath(field);
        var key = descending ? "-" + path : path;
        return With(_state with { Sort = then ? [.. _state.Sort, key] : [key] });
    }

    private async Task<QueryPage<T>> FetchAsync(int limit, string? cursor, bool count, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["filter"] = ToFilterJson(),
            ["limit"] = limit,
        };
        if (_state.Sort.Count > 0)
        {
            body["sort"] = new JsonArray([.. _state.Sort.Select(s => (JsonNode)JsonValue.Create(s))]);
        }

        if (cursor is not null)
        {
            body["cursor"] = cursor;
        }

        if (count)
        {
            body["count"] = true;
        }

        // A query changes nothing, so its POST may be retried like a GET.
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.Query(CollectionName), body) { Idempotent = true };
        var response = await Transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Body is not JsonObject result || result["items"] is not JsonArray items)
        {
            throw new BaasException("The server answered a query without items.");
        }

        var documents = items.Select(Mapper.FromJson).ToList();
        var next = result["nextCursor"] is JsonValue n && n.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        long? total = result["count"] is JsonValue c && c.TryGetValue<long>(out var number) ? number : null;
        return new QueryPage<T>(documents, next, total);
    }
}

/// <summary>One page of query results.</summary>
/// <typeparam name="T">The document type.</typeparam>
/// <param name="Items">The documents of this page, in query order.</param>
/// <param name="NextCursor">Pass it to <see cref="Query{T}.GetPageAsync"/> for the next page; null on the last page.</param>
/// <param name="TotalCount">The number of all matches, when asked for.</param>
public sealed record QueryPage<T>(IReadOnlyList<Document<T>> Items, string? NextCursor, long? TotalCount);

/// <summary>The parts of a query.</summary>
internal sealed record QueryState(IReadOnlyList<JsonObject> Filters, IReadOnlyList<string> Sort, int? Limit, int? PageSize)
{
    public static readonly QueryState Empty = new([], [], null, null);
}
