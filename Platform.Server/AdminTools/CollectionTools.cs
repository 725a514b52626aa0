using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.AdminTools;

/// <summary>What a schema check found: how many documents it read, how many fail, and some of them.</summary>
/// <param name="Checked">Documents read.</param>
/// <param name="Failing">Documents among them that the schema rejects.</param>
/// <param name="Complete">False when the check stopped at <see cref="AdminToolsOptions.SchemaCheckMaxDocuments"/> before the end.</param>
/// <param name="Samples">Up to <see cref="AdminToolsOptions.SchemaCheckSamples"/> failing documents with their errors.</param>
public sealed record SchemaCheckResult(long Checked, long Failing, bool Complete, IReadOnlyList<SchemaCheckSample> Samples);

/// <summary>One failing document of a schema check.</summary>
public sealed record SchemaCheckSample(string Id, IReadOnlyList<FieldError> Errors);

/// <summary>What the rules simulator decided.</summary>
/// <param name="Allowed">Whether the caller may do it.</param>
/// <param name="Reason">Which rule decided and why, for a person.</param>
/// <param name="Filter">For <c>list</c> with a rule: the filter the rule binds to for this caller, in the filter language.</param>
/// <param name="Rule">The rule text that decided, or null when there is none.</param>
public sealed record RuleSimulation(bool Allowed, string Reason, JsonObject? Filter, string? Rule);

/// <summary>
/// The dashboard's collection tools: how many stored documents a proposed schema rejects, and what a collection's
/// rules (saved or proposed) decide for a given caller, document and data. Both read only; neither writes anything.
/// </summary>
public sealed class CollectionTools(IDocumentStore store, IOptions<AdminToolsOptions> options, IOptions<DocumentLimits> documentLimits, TimeProvider time)
{
    /// <summary>
    /// Validates the stored documents of <paramref name="collection"/> against <paramref name="schema"/>, in keyset pages by
    /// <c>_id</c>, reading at most <see cref="AdminToolsOptions.SchemaCheckMaxDocuments"/>.
    /// </summary>
    public async Task<SchemaCheckResult> CheckSchemaAsync(Collection collection, SchemaValidator schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(schema);
        var limits = options.Value;
        var samples = new List<SchemaCheckSample>();
        long checkedCount = 0, failing = 0;
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (true)
        {
            var pageSize = (int)Math.Min(limits.PageSize, limits.SchemaCheckMaxDocuments - checkedCount + 1);
            var page = await store.QueryAsync(collection.Name, new DocumentQuery(MatchAllNode.Instance, sort, pageSize, after), cancellationToken);
            foreach (var document in page)
            {
                if (checkedCount == limits.SchemaCheckMaxDocuments)
                {
                    // One document more than the limit exists: the check is not complete.
                    return new SchemaCheckResult(checkedCount, failing, Complete: false, samples);
                }

                checkedCount++;
                var errors = schema.Validate(DocumentService.UserFields(document), documentLimits.Value.SchemaTimeout);
                if (errors.Count > 0)
                {
                    failing++;
                    if (samples.Count < limits.SchemaCheckSamples)
                    {
                        samples.Add(new SchemaCheckSample(document[SystemFields.Id]!.GetValue<string>(), errors));
                    }
                }
            }

            if (page.Count < pageSize)
            {
                return new SchemaCheckResult(checkedCount, failing, Complete: true, samples);
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }
    }

    /// <summary>
    /// What <paramref name="rules"/> decide for <paramref name="operation"/> when <paramref name="auth"/> (null = signed
    /// out) asks, about <paramref name="doc"/> (the stored document) and <paramref name="data"/> (the document as it
    /// would be after a create or update). For <c>list</c>, the answer carries the filter the rule becomes for this
    /// caller; with a <paramref name="doc"/> it also says whether that document would be listed.
    /// </summary>
    public RuleSimulation Simulate(RuleSet rules, RuleOperation operation, JsonObject? auth, JsonObject? doc, JsonObject? data)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var name = operation.Name();
        if (rules[operation] is not { } rule)
        {
            return new RuleSimulation(false, $"No rule: denied to clients. Without a {name} rule only service keys and admins may {name}; a signed-out caller gets 401, a signed-in one 403.", null, null);
        }

        var context = new RuleContext { Auth = auth, Doc = doc, Data = data, Now = Timestamps.Format(time.GetUtcNow()) };
        var who = auth is null ? "a signed-out caller" : "this caller";
        if (operation == RuleOperation.List)
        {
            var filter = rule.ToFilter(context);
            var json = FilterJson.ToJson(filter);
            if (doc is not null)
            {
                var listed = rule.Evaluate(context);
                return new RuleSimulation(listed, listed
                    ? $"The list rule '{rule.Text}' includes this document for {who}."
                    : $"The list rule '{rule.Text}' leaves this document out for {who}: lists and counts skip it.", json, rule.Text);
            }

            return filter switch
            {
                MatchNoneNode => new RuleSimulation(false, $"The list rule '{rule.Text}' is false for {who} whatever the document: lists are empty (not refused).", json, rule.Text),
                MatchAllNode => new RuleSimulation(true, $"The list rule '{rule.Text}' is true for {who} for every document.", json, rule.Text),
                _ => new RuleSimulation(true, $"The list rule '{rule.Text}' lets {who} list the documents that match the filter.", json, rule.Text),
            };
        }

        var allowed = rule.Evaluate(context);
        return new RuleSimulation(allowed, allowed
            ? $"The {name} rule '{rule.Text}' is true for {who}."
            : $"The {name} rule '{rule.Text}' is false for {who}: denied.", null, rule.Text);
    }
}
