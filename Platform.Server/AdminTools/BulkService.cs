using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Documents.Updates;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.AdminTools;

/// <summary>What a bulk operation does to each matching document.</summary>
public enum BulkAction
{
    Update,
    Delete,
}

/// <summary>The outcome of a bulk operation.</summary>
/// <param name="Matched">Documents the filter matched when the operation started.</param>
/// <param name="Changed">Documents updated or deleted (0 for a dry run).</param>
/// <param name="DryRun">True when nothing was written.</param>
public sealed record BulkResult(long Matched, long Changed, bool DryRun);

/// <summary>
/// Update or delete every document matching a filter, as an admin (rules do not apply). A dry run only counts. A real
/// run refuses a filter matching more than <see cref="AdminToolsOptions.BulkMaxDocuments"/>, then walks the matches in
/// keyset pages by <c>_id</c> and writes each page through the <see cref="DocumentService"/> as one atomic batch: schema
/// validation, system fields and the change feed are those of any other write. A failing document stops the run; the
/// pages before it stay written, its own page is not written.
/// </summary>
public sealed class BulkService(IDocumentStore store, DocumentService documents, DocumentValidator validator, IOptions<AdminToolsOptions> options)
{
    /// <summary>Checks an update as PATCH takes it (merge patch, or operator update when every key starts with <c>$</c>) without applying it.</summary>
    public void ValidateUpdate(JsonObject update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Count == 0)
        {
            throw new InvalidInputException("invalid_update", "'update' is empty: give a merge patch or operators such as {\"$set\": {...}}.", "update");
        }

        var operatorKeys = update.Count(p => p.Key.StartsWith('$'));
        try
        {
            if (operatorKeys == 0)
            {
                validator.Validate(update);
            }
            else if (operatorKeys < update.Count)
            {
                throw new InvalidInputException("invalid_update", "An update is either a merge patch (no '$' keys) or an operator update (only '$' keys), not both.", update.First(p => !p.Key.StartsWith('$')).Key);
            }
            else
            {
                UpdateParser.Parse(update);
            }
        }
        catch (InvalidInputException ex)
        {
            throw new InvalidInputException(ex.Code, ex.Message, ex.Field is null ? "update" : "update." + ex.Field, ex.Kind, ex.Position) { Errors = ex.Errors };
        }
    }

    /// <summary>Runs (or, with <paramref name="dryRun"/>, counts) a bulk operation on a defined collection.</summary>
    public async Task<BulkResult> RunAsync(Collection collection, FilterNode filter, BulkAction action, JsonObject? update, bool dryRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(filter);
        var limits = options.Value;
        var matched = await store.CountAsync(collection.Name, filter, cancellationToken);
        if (dryRun)
        {
            return new BulkResult(matched, 0, DryRun: true);
        }

        if (matched > limits.BulkMaxDocuments)
        {
            throw new InvalidInputException(
                "bulk_too_large",
                $"The filter matches {matched} documents; one bulk operation may change at most {limits.BulkMaxDocuments} (Baas:AdminTools:BulkMaxDocuments). Narrow the filter and run it in parts.",
                "filter")
            {
                Extensions = new Dictionary<string, object?> { ["matched"] = matched, ["limit"] = limits.BulkMaxDocuments },
            };
        }

        long changed = 0;
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (changed < limits.BulkMaxDocuments)
        {
            var pageSize = (int)Math.Min(limits.PageSize, limits.BulkMaxDocuments - changed);
            var page = await store.QueryAsync(collection.Name, new DocumentQuery(filter, sort, pageSize, after), cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            var ids = page.Select(d => d[SystemFields.Id]!.GetValue<string>()).ToList();
            var commands = ids.Select(id => action == BulkAction.Delete
                ? (DocumentCommand)new DeleteCommand(collection.Name, id)
                : new PatchCommand(collection.Name, id, (JsonObject)update!.DeepClone())).ToList();
            var done = changed;
            changed += (await TolerantBatches.ExecuteAsync(documents, commands, (index, error) => Stop(error, ids[index], action, done), cancellationToken)).Count;
            if (page.Count < pageSize)
            {
                break;
            }

            after = [ScalarJson.Element(ids[^1])];
        }

        return new BulkResult(matched, changed, DryRun: false);
    }

    private static void Stop(Exception error, string id, BulkAction action, long done)
    {
        // A document deleted since the page was read is simply no longer there to change.
        if (error is VersionMismatchException { ActualVersion: null } || error is DomainException { Kind: ErrorKind.NotFound })
        {
            return;
        }

        var problem = ProblemDetailsExceptionHandler.ToProblem(error);
        var verb = action == BulkAction.Delete ? "delete" : "update";
        var changedKey = action == BulkAction.Delete ? "deleted" : "modified";
        throw new DomainException(
            ProblemDetailsExceptionHandler.KindOf(error),
            problem.Extensions.TryGetValue("code", out var code) ? code as string ?? "bulk_failed" : "bulk_failed",
            $"The bulk {verb} stopped at document '{id}': {problem.Detail} {done} documents were changed in earlier pages; the page holding this document and the rest were not.",
            (error as DomainException)?.Field)
        {
            Errors = (error as DomainException)?.Errors,
            Extensions = new Dictionary<string, object?> { [changedKey] = done, ["failedId"] = id },
        };
    }
}
