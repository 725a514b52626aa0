using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Audit;

/// <summary><c>GET /api/admin/audit</c>: the audit log, newest first, keyset paged.</summary>
public static class AuditEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    private static readonly IReadOnlyList<SortField> Sort = [new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)];

    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/audit").WithTags("Audit").RequireAuthorization(BaasPolicies.AdminOrService);
        group.MapGet("/", ListAsync).WithName("ListAuditEntries")
            .WithSummary("Lists admin writes, newest first.")
            .WithDescription("?actor= (admin email or id, apikey:<name>), ?target= (e.g. collections/todos), ?action= (e.g. users.patch), ?limit= (1-1000, default 50), ?cursor= (from nextCursor).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return group;
    }

    internal static async Task<Ok<JsonObject>> ListAsync(string? actor, string? target, string? action, string? limit, string? cursor, IDocumentStore store, CancellationToken cancellationToken)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > MaxLimit))
        {
            throw new InvalidInputException("invalid_limit", $"limit must be an integer from 1 to {MaxLimit}.", "limit");
        }

        var conditions = new List<FilterNode>();
        if (!string.IsNullOrEmpty(actor))
        {
            conditions.Add(new OrNode([Eq("actor", actor), Eq("actorId", actor)]));
        }

        if (!string.IsNullOrEmpty(target))
        {
            conditions.Add(Eq("target", target));
        }

        if (!string.IsNullOrEmpty(action))
        {
            conditions.Add(Eq("action", action));
        }

        FilterNode filter = conditions.Count switch
        {
            0 => MatchAllNode.Instance,
            1 => conditions[0],
            _ => new AndNode(conditions),
        };
        var after = string.IsNullOrEmpty(cursor) ? null : QueryCursor.Decode(cursor, Sort);
        var page = await store.QueryAsync(AuditLog.Collection, new DocumentQuery(filter, Sort, size + 1, after), cancellationToken);
        var items = new JsonArray();
        foreach (var document in page.Take(size))
        {
            items.Add(new JsonObject
            {
                ["id"] = document[SystemFields.Id]?.DeepClone(),
                ["at"] = document[AuditLog.AtField]?.DeepClone(),
                ["actor"] = document["actor"]?.DeepClone(),
                ["actorId"] = document["actorId"]?.DeepClone(),
                ["action"] = document["action"]?.DeepClone(),
                ["target"] = document["target"]?.DeepClone(),
                ["before"] = document["before"]?.DeepClone(),
                ["after"] = document["after"]?.DeepClone(),
                ["ip"] = document["ip"]?.DeepClone(),
            });
        }

        return TypedResults.Ok(new JsonObject
        {
            ["items"] = items,
            ["nextCursor"] = page.Count > size ? QueryCursor.Encode(Sort, page[size - 1]) : null,
        });
    }

    private static FieldNode Eq(string path, string value) => new(path, FieldOperator.Eq, ScalarJson.Element(value));
}
