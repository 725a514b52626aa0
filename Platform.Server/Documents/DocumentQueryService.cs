using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents;

/// <summary>The raw query parameters, from the query string (GET) or a JSON body (POST .../query).</summary>
/// <param name="Filter">JSON filter: a string (query string) or an object (body).</param>
/// <param name="Sort">"-a,b" or ["-a","b"].</param>
/// <param name="Limit">Page size.</param>
/// <param name="Cursor">The previous page's <c>nextCursor</c>.</param>
/// <param name="Fields">"a,b" or ["a","b"].</param>
/// <param name="Count">Whether to add the total count of matches.</param>
public sealed record QueryRequest(JsonElement? Filter, JsonElement? Sort, int? Limit, string? Cursor, JsonElement? Fields, bool Count);

/// <summary>
/// Runs queries: parses and checks every parameter, pages with keyset cursors, projects, counts. For a
/// client, the collection's list rule, bound to the caller, is ANDed into the filter the store runs, so
/// every page, every cursor and the count cover only the documents the caller may list.
/// </summary>
/// <remarks>
/// Cost: the page and the count run within one time budget (<c>Baas:Query:Timeout</c>, or <c>ServiceTimeout</c> for
/// service keys and admins) that starts when the store begins, and stop when the request's token is cancelled (the
/// client went away). Queries of app users and visitors first take a place in the <see cref="QueryLimiter"/>.
/// </remarks>
public sealed class DocumentQueryService(
    IDocumentStore store,
    DocumentService documents,
    DocumentRules rules,
    QueryLimiter limiter,
    TimeProvider time,
    IOptions<QueryOptions> queryOptions,
    IOptions<FilterLimits> filterLimits)
{
    public async Task<JsonObject> QueryAsync(string collection, QueryRequest request, Caller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(caller);
        var options = queryOptions.Value;
        var filter = request.Filter switch
        {
            null => MatchAllNode.Instance,
            { ValueKind: JsonValueKind.String } text => FilterParser.Parse(text.GetString(), filterLimits.Value),
            { ValueKind: JsonValueKind.Null } => MatchAllNode.Instance,
            { } json => FilterParser.Parse(json, filterLimits.Value),
        };
        var sort = WithIdTiebreak(request.Sort is { } s ? SortParser.Parse(s, "sort", options.MaxSortFields) : []);
        var fields = request.Fields is { } f ? FieldsParser.Parse(f) : null;
        var limit = request.Limit ?? options.DefaultLimit;
        if (limit < 1 || limit > options.MaxLimit)
        {
            throw new InvalidInputException("invalid_limit", $"limit must be between 1 and {options.MaxLimit}.", "limit");
        }

        var after = string.IsNullOrEmpty(request.Cursor) ? null : QueryCursor.Decode(request.Cursor, sort);

        var items = new JsonArray();
        var result = new JsonObject { ["items"] = items, ["nextCursor"] = null };
        if (await documents.ResolveAsync(collection, caller, forWrite: false, cancellationToken) is not { } resolved)
        {
            // An undefined collection that a privileged caller may auto-create reads as empty.
            if (request.Count)
            {
                result["count"] = 0;
            }

            return result;
        }

        filter = Both(rules.ListFilter(resolved, caller), filter);

        using var place = caller.Privileged ? null : await limiter.EnterAsync(cancellationToken);
        var budget = caller.Privileged ? options.ServiceTimeout : options.Timeout;
        var started = time.GetTimestamp();

        // One more than asked tells whether another page exists without a second query.
        var query = new DocumentQuery(filter, sort, limit + 1, after, budget);
        var page = await store.QueryAsync(collection, query, cancellationToken);
        var visible = page.Count > limit ? page.Take(limit).ToList() : page;
        foreach (var document in visible)
        {
            items.Add(fields is null ? document : Projection.Apply(document, fields));
        }

        if (page.Count > limit)
        {
            result["nextCursor"] = QueryCursor.Encode(sort, visible[^1]);
        }

        if (request.Count)
        {
            var left = budget - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new QueryTimeoutException(collection, budget);
            }

            result["count"] = await store.CountAsync(collection, filter, left, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// The rule's filter and the query's as one flat conjunction (so a provider sees every top-level
    /// condition, e.g. SQLite's index-order planning), simplified where one of them is trivial.
    /// </summary>
    internal static FilterNode Both(FilterNode ruleFilter, FilterNode queryFilter) => (ruleFilter, queryFilter) switch
    {
        (MatchAllNode, _) => queryFilter,
        (MatchNoneNode, _) => MatchNoneNode.Instance,
        (_, MatchAllNode) => ruleFilter,
        _ => new AndNode([.. Conjuncts(ruleFilter), .. Conjuncts(queryFilter)]),
    };

    private static IReadOnlyList<FilterNode> Conjuncts(FilterNode filter) => filter is AndNode and ? and.Children : [filter];

    /// <summary>Ends every sort with <c>_id</c> so the order is total and cursors are exact.</summary>
    internal static IReadOnlyList<SortField> WithIdTiebreak(IReadOnlyList<SortField> sort) =>
        sort.Any(key => key.Path == SystemFields.Id) ? sort : [.. sort, new SortField(SystemFields.Id)];
}
