using System.Text.Json.Nodes;

namespace Platform.Sdk.Admin;

/// <summary>One problem of a document with a schema.</summary>
/// <param name="Path">The field (dot path), or <c>(document)</c>.</param>
/// <param name="Message">What is wrong.</param>
public sealed record SchemaError(string Path, string Message);

/// <summary>A stored document a proposed schema would reject.</summary>
/// <param name="Id">The document's id.</param>
/// <param name="Errors">Why.</param>
public sealed record SchemaCheckSample(string Id, IReadOnlyList<SchemaError> Errors);

/// <summary>How many stored documents a proposed schema would reject.</summary>
/// <param name="Checked">Documents read (at most the server's <c>Baas:AdminTools:SchemaCheckMaxDocuments</c>).</param>
/// <param name="Failing">Documents among them that fail the schema.</param>
/// <param name="Complete">False when the server stopped at its limit before reading every document.</param>
/// <param name="Samples">Some failing documents with their errors.</param>
public sealed record SchemaCheckResult(long Checked, long Failing, bool Complete, IReadOnlyList<SchemaCheckSample> Samples);

/// <summary>The caller the rules simulator pretends to be.</summary>
public abstract class SimulatedCaller
{
    private SimulatedCaller()
    {
    }

    /// <summary>A visitor who is not signed in (<c>auth</c> is null).</summary>
    public static SimulatedCaller SignedOut { get; } = new SignedOutCaller();

    /// <summary>A real app user, looked up by email on the server.</summary>
    /// <param name="email">The user's email.</param>
    /// <returns>The caller.</returns>
    public static SimulatedCaller User(string email)
    {
        ArgumentException.ThrowIfNullOrEmpty(email);
        return new UserCaller(email);
    }

    /// <summary>A made-up <c>auth</c> object, exactly as rules would see it.</summary>
    /// <param name="id">The user id (<c>auth.id</c>).</param>
    /// <param name="email">The email, or null.</param>
    /// <param name="roles">The roles (<c>auth.roles</c>).</param>
    /// <param name="anonymous">Whether the user signed in anonymously.</param>
    /// <param name="verified">Whether the email is verified.</param>
    /// <returns>The caller.</returns>
    public static SimulatedCaller Custom(string id, string? email = null, IReadOnlyList<string>? roles = null, bool anonymous = false, bool verified = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new CustomCaller(new JsonObject
        {
            ["id"] = id,
            ["email"] = email,
            ["roles"] = new JsonArray([.. (roles ?? []).Select(r => (JsonNode)JsonValue.Create(r))]),
            ["anonymous"] = anonymous,
            ["verified"] = verified,
        });
    }

    internal abstract JsonNode? ToJson();

    private sealed class SignedOutCaller : SimulatedCaller
    {
        internal override JsonNode? ToJson() => null;
    }

    private sealed class UserCaller(string email) : SimulatedCaller
    {
        internal override JsonNode? ToJson() => new JsonObject { ["userEmail"] = email };
    }

    private sealed class CustomCaller(JsonObject auth) : SimulatedCaller
    {
        internal override JsonNode? ToJson() => auth.DeepClone();
    }
}

/// <summary>What to ask the rules simulator.</summary>
public sealed class RuleSimulationRequest
{
    /// <summary>The operation: <c>list</c>, <c>get</c>, <c>create</c>, <c>update</c> or <c>delete</c>.</summary>
    public required string Operation { get; init; }

    /// <summary>Who asks; <see cref="SimulatedCaller.SignedOut"/> by default.</summary>
    public SimulatedCaller Caller { get; init; } = SimulatedCaller.SignedOut;

    /// <summary>Proposed rules to test before saving them; null uses the saved rules.</summary>
    public IDictionary<string, string>? Rules { get; init; }

    /// <summary>The stored document (<c>doc</c>) for get, update, delete, and list (whether it would be listed).</summary>
    public JsonObject? Doc { get; init; }

    /// <summary>The document as it would be after the write (<c>data</c>) for create and update.</summary>
    public JsonObject? Data { get; init; }

    internal JsonObject ToJson()
    {
        var json = new JsonObject { ["operation"] = Operation, ["auth"] = Caller.ToJson() };
        if (Rules is not null)
        {
            var rules = new JsonObject();
            foreach (var (operation, rule) in Rules)
            {
                rules[operation] = rule;
            }

            json["rules"] = rules;
        }

        if (Doc is not null)
        {
            json["doc"] = Doc.DeepClone();
        }

        if (Data is not null)
        {
            json["data"] = Data.DeepClone();
        }

        return json;
    }
}

/// <summary>What the rules decided.</summary>
/// <param name="Allowed">Whether the caller may do it.</param>
/// <param name="Reason">Which rule decided and why (e.g. "No rule: denied to clients...").</param>
/// <param name="Filter">For <c>list</c> with a rule: the filter the rule becomes for this caller, in the query language.</param>
/// <param name="Rule">The rule text that decided, or null when there is none.</param>
public sealed record RuleSimulationResult(bool Allowed, string Reason, JsonObject? Filter, string? Rule);

/// <summary>A bulk update or delete.</summary>
public sealed class BulkRequest
{
    /// <summary>Which documents, in the query language (<c>{}</c> for all).</summary>
    public JsonObject Filter { get; init; } = [];

    /// <summary>What to do with them.</summary>
    public BulkAction Action { get; init; }

    /// <summary>For <see cref="BulkAction.Update"/>: a merge patch or operators (<c>{"$set": {...}}</c>), as a PATCH takes.</summary>
    public JsonObject? Update { get; init; }

    /// <summary>True (the default) only counts the matches; false writes.</summary>
    public bool DryRun { get; init; } = true;

    internal JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["filter"] = Filter.DeepClone(),
            ["action"] = Action == BulkAction.Delete ? "delete" : "update",
            ["dryRun"] = DryRun,
        };
        if (Update is not null)
        {
            json["update"] = Update.DeepClone();
        }

        return json;
    }
}

/// <summary>What a bulk operation does.</summary>
public enum BulkAction
{
    /// <summary>Apply <see cref="BulkRequest.Update"/> to every match.</summary>
    Update,

    /// <summary>Delete every match.</summary>
    Delete,
}

/// <summary>What a bulk operation did.</summary>
/// <param name="Matched">Documents the filter matched.</param>
/// <param name="Changed">Documents updated or deleted (0 for a dry run).</param>
/// <param name="DryRun">True when nothing was written.</param>
public sealed record BulkResult(long Matched, long Changed, bool DryRun);

/// <summary>Upload formats of an import.</summary>
public enum ImportFormat
{
    /// <summary>One JSON document per line.</summary>
    Ndjson,

    /// <summary>A JSON array of documents.</summary>
    Json,

    /// <summary>CSV with a header row of field paths (see docs/api.md).</summary>
    Csv,
}

/// <summary>How an import writes rows.</summary>
public enum ImportMode
{
    /// <summary>Create every row; an existing <c>_id</c> fails that row.</summary>
    Insert,

    /// <summary>Rows with an <c>_id</c> replace (or create) that document; rows without are created.</summary>
    Upsert,
}

/// <summary>One row an import did not write.</summary>
/// <param name="Row">1-based: the NDJSON line, the JSON array element, or the CSV data record (header not counted).</param>
/// <param name="Message">Why.</param>
/// <param name="Code">The problem code (e.g. <c>schema_validation</c>, <c>already_exists</c>, <c>malformed_json</c>).</param>
public sealed record ImportError(long Row, string Message, string Code)
{
    /// <summary>For <c>malformed_json</c>: the 1-based byte within the row's text where it stops being JSON; else null.</summary>
    public long? Column { get; init; }
}

/// <summary>What an import did.</summary>
/// <param name="Inserted">Documents created.</param>
/// <param name="Updated">Documents replaced (upsert).</param>
/// <param name="Failed">Rows not written.</param>
/// <param name="Errors">The first failures (capped by the server).</param>
/// <param name="Complete">False when the server stopped before the end of the upload.</param>
public sealed record ImportResult(long Inserted, long Updated, long Failed, IReadOnlyList<ImportError> Errors, bool Complete);

/// <summary>Download formats of an export.</summary>
public enum ExportFormat
{
    /// <summary>One JSON document per line.</summary>
    Ndjson,

    /// <summary>CSV: system fields first, then every field path (or the ones asked for).</summary>
    Csv,
}
