using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Realtime;

/// <summary>
/// Turns a <c>Subscribe</c> request into what the dispatcher and the snapshot need, checking it as REST checks a
/// query: the collection must be defined, the filter obeys <see cref="FilterLimits"/>, and the caller's rule
/// (<c>list</c>, or <c>get</c> for an id) must exist unless the caller is privileged (DESIGN.md sections 7 and 8).
/// </summary>
internal sealed class SubscriptionPlanner(
    CollectionRegistry registry,
    IChangeFeed feed,
    IOptions<FilterLimits> filterLimits,
    IOptions<RealtimeOptions> options,
    IOptions<QueryOptions> queryOptions,
    QueryLimiter limiter,
    TimeProvider time)
{
    /// <summary>A checked subscription: its spec, and how to read its snapshot with the feed position it reflects.</summary>
    public sealed record Plan(SubscriptionSpec Spec, Func<CancellationToken, Task<Snapshot>> SnapshotAsync);

    /// <summary>The documents of a snapshot, and the feed position they reflect (<see cref="IChangeFeed.QuerySnapshotAsync"/>).</summary>
    public sealed record Snapshot(IReadOnlyList<object?> Documents, string Position);

    /// <exception cref="DomainException">A refusal or bad input, with the REST code.</exception>
    public async Task<Plan> PlanAsync(SubscribeRequest request, Caller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(caller);
        var name = CollectionNames.Validate(request.Collection);
        var id = request.Id is null ? null : DocumentIds.Validate(request.Id);
        var filter = ParseFilter(request.Filter);
        var collection = await registry.FindAsync(name, cancellationToken)
            ?? throw CollectionNames.NotDefined(name);

        if (id is not null)
        {
            filter = And(filter, new FieldNode(SystemFields.Id, FieldOperator.Eq, ScalarJson.Element(id)));
        }

        if (caller.Privileged)
        {
            return Build(name, id, filter, getRule: null, caller, bound: null);
        }

        var operation = id is null ? RuleOperation.List : RuleOperation.Get;
        var rule = FindRule(collection, operation) ?? throw (caller.Auth is null
            ? new DomainException(ErrorKind.Unauthenticated, "unauthenticated", $"Sign in to watch '{name}'.")
            : new DomainException(ErrorKind.Forbidden, "forbidden", $"The caller may not watch '{name}'."));
        return id is null
            ? Build(name, id, And(filter, rule.ToFilter(Context(caller, doc: null))), getRule: null, caller, rule)
            : Build(name, id, filter, rule, caller, rule);
    }

    /// <summary>The text of a collection's rule for an operation as it is defined now, or null (no rule, or no collection).</summary>
    public static string? CurrentRuleText(Collection? collection, RuleOperation operation) =>
        collection is not null && collection.Definition.Rules.TryGetValue(operation.Name(), out var text) ? text : null;

    // Compiled once per definition load by the registry, like the REST API's rules.
    private static CompiledRule? FindRule(Collection collection, RuleOperation operation) => collection.Rules[operation];

    private Plan Build(string collection, string? id, FilterNode filter, CompiledRule? getRule, Caller caller, CompiledRule? bound)
    {
        // The list rule is already ANDed into the filter; a get rule runs once per change of the one document.
        var cost = FilterCost.Of(filter) + (getRule is null ? 0 : FilterCost.GetRule);
        var maxCost = options.Value.MaxFilterCost;
        if (cost > maxCost)
        {
            throw new InvalidInputException(
                "filter_too_costly",
                $"Matching this filter (with the collection's rule) costs {cost}; a subscription may cost at most {maxCost}. "
                + "Use fewer conditions, or equality instead of $contains/$containsi (see 'Matching cost' in docs/realtime.md).",
                "filter");
        }

        var matches = FilterMatcher.Compile(filter);
        Func<JsonObject, bool> visible = getRule is null
            ? matches
            : document => matches(document) && getRule.Evaluate(Context(caller, document));
        var spec = new SubscriptionSpec(collection, id, visible, bound?.Operation, bound?.Text, cost, FilterCost.ScansOf(filter));
        return new Plan(spec, async cancellationToken =>
        {
            // The snapshot is a query like POST .../query and costs the same, so it obeys the same limits: app users and
            // visitors take a place in the QueryLimiter, and the store stops it past the caller's time budget (issue 11).
            var limit = options.Value.SnapshotLimit;
            var budget = caller.Privileged ? queryOptions.Value.ServiceTimeout : queryOptions.Value.Timeout;
            using var place = caller.Privileged ? null : await limiter.EnterAsync(cancellationToken);
            var query = new DocumentQuery(filter, [new SortField(SystemFields.Id)], limit + 1, Timeout: budget);
            var snapshot = await feed.QuerySnapshotAsync(collection, query, cancellationToken);
            var documents = snapshot.Documents;
            if (documents.Count > limit)
            {
                throw new InvalidInputException("snapshot_too_large", $"More than {limit} documents match; narrow the filter or subscribe without a snapshot.", "filter");
            }

            return new Snapshot([.. documents.Where(visible).Select(PayloadValues.FromDocument)], snapshot.Position);
        });
    }

    private RuleContext Context(Caller caller, JsonObject? doc) =>
        new() { Auth = caller.Auth, Doc = doc, Now = Timestamps.Format(time.GetUtcNow()) };

    private FilterNode ParseFilter(object? filter)
    {
        if (filter is null)
        {
            return MatchAllNode.Instance;
        }

        JsonElement json;
        try
        {
            json = PayloadValues.ToElement(filter);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidInputException(FilterParser.InvalidFilter, ex.Message, "filter");
        }

        return json.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => MatchAllNode.Instance,
            JsonValueKind.String => FilterParser.Parse(json.GetString(), filterLimits.Value),
            _ => FilterParser.Parse(json, filterLimits.Value),
        };
    }

    private static FilterNode And(FilterNode left, FilterNode right) => (left, right) switch
    {
        (MatchAllNode, _) => right,
        (_, MatchAllNode) => left,
        _ => new AndNode([left, right]),
    };
}
