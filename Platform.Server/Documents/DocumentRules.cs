using System.Text.Json.Nodes;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents;

/// <summary>
/// Applies a collection's rules to a caller (DESIGN.md section 7, docs/rules.md). Service keys and admins
/// pass everything. For everyone else: an operation without a rule is refused before anything is read
/// (401 signed out, else 403), so the answer never depends on what is stored; a list rule becomes part of
/// the query; a denied get/update/delete is 404 when the caller may not even see the document (neither the
/// get nor the list rule allows it), else 401/403, so hidden documents cannot be told from missing ones.
/// </summary>
public sealed class DocumentRules(TimeProvider time)
{
    /// <summary>The filter of the documents the caller may list: everything for privileged callers.</summary>
    /// <exception cref="DomainException">401/403 when the collection has no list rule.</exception>
    public FilterNode ListFilter(Collection collection, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(caller);
        var rule = Require(collection, RuleOperation.List, caller);
        return rule is null ? MatchAllNode.Instance : rule.ToFilter(Context(caller));
    }

    /// <summary>
    /// The rule that will decide <paramref name="operation"/>, or null for privileged callers (who need none).
    /// Call it before reading: an operation without a rule is refused the same whether the document exists or not.
    /// </summary>
    /// <exception cref="DomainException">401/403 when the collection has no rule for the operation.</exception>
    public static CompiledRule? Require(Collection collection, RuleOperation operation, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Privileged)
        {
            return null;
        }

        return collection.Rules[operation] ?? throw Denied(
            collection,
            operation,
            caller,
            $"Collection '{collection.Name}' has no {operation.Name()} rule, so only service keys and admins may {Verb(operation)} its documents.");
    }

    /// <summary>A read of one stored document: allowed, or 404 when hidden, else 401/403.</summary>
    public void CheckGet(Collection collection, Caller caller, JsonObject stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var rule = Require(collection, RuleOperation.Get, caller);
        if (rule is null || rule.Evaluate(Context(caller, doc: stored)))
        {
            return;
        }

        throw Refused(collection, RuleOperation.Get, caller, stored, getAllowed: false);
    }

    /// <summary>
    /// Before anything is done with a stored document the caller wants to change (If-Match, the update
    /// itself): 404 when the caller may not see it, so a hidden document answers exactly like a missing one.
    /// </summary>
    public void CheckVisible(Collection collection, Caller caller, JsonObject stored)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(stored);
        if (!caller.Privileged && !IsVisible(collection, caller, stored))
        {
            throw NotFound(stored);
        }
    }

    /// <summary>A create of <paramref name="document"/> (as it would be stored, system fields included): allowed, or 401/403.</summary>
    public void CheckCreate(Collection collection, Caller caller, JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var rule = Require(collection, RuleOperation.Create, caller);
        if (rule is not null && !rule.Evaluate(Context(caller, data: document)))
        {
            throw Denied(collection, RuleOperation.Create, caller, $"The create rule of '{collection.Name}' does not allow this document.");
        }
    }

    /// <summary>An update from <paramref name="stored"/> to <paramref name="result"/> (both as stored): allowed, or 404 when hidden, else 401/403.</summary>
    public void CheckUpdate(Collection collection, Caller caller, JsonObject stored, JsonObject result)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(result);
        var rule = Require(collection, RuleOperation.Update, caller);
        if (rule is not null && !rule.Evaluate(Context(caller, doc: stored, data: result)))
        {
            throw Refused(collection, RuleOperation.Update, caller, stored, getAllowed: null);
        }
    }

    /// <summary>A delete of <paramref name="stored"/>: allowed, or 404 when hidden, else 401/403.</summary>
    public void CheckDelete(Collection collection, Caller caller, JsonObject stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var rule = Require(collection, RuleOperation.Delete, caller);
        if (rule is not null && !rule.Evaluate(Context(caller, doc: stored)))
        {
            throw Refused(collection, RuleOperation.Delete, caller, stored, getAllowed: null);
        }
    }

    private DomainException Refused(Collection collection, RuleOperation operation, Caller caller, JsonObject stored, bool? getAllowed)
    {
        var visible = getAllowed == true || IsVisible(collection, caller, stored, skipGet: getAllowed == false);
        return visible
            ? Denied(collection, operation, caller, $"The {operation.Name()} rule of '{collection.Name}' does not allow this for document '{Id(stored)}'.")
            : NotFound(stored);
    }

    private bool IsVisible(Collection collection, Caller caller, JsonObject stored, bool skipGet = false)
    {
        var context = Context(caller, doc: stored);
        return (!skipGet && collection.Rules[RuleOperation.Get] is { } get && get.Evaluate(context))
            || (collection.Rules[RuleOperation.List] is { } list && list.Evaluate(context));
    }

    private RuleContext Context(Caller caller, JsonObject? doc = null, JsonObject? data = null) => new()
    {
        Auth = caller.Auth,
        Doc = doc,
        Data = data,
        Now = Timestamps.Format(time.GetUtcNow()),
    };

    private static DomainException Denied(Collection collection, RuleOperation operation, Caller caller, string message)
    {
        var signedOut = caller.Auth is null;
        return new DomainException(
            signedOut ? ErrorKind.Unauthenticated : ErrorKind.Forbidden,
            signedOut ? "unauthenticated" : "forbidden",
            signedOut ? $"{message} Sign in first." : message)
        {
            Extensions = new Dictionary<string, object?> { ["collection"] = collection.Name, ["operation"] = operation.Name() },
        };
    }

    private static DomainException NotFound(JsonObject stored) =>
        new(ErrorKind.NotFound, "not_found", $"Document '{Id(stored)}' was not found.");

    private static string? Id(JsonObject stored) => stored[SystemFields.Id]?.GetValue<string>();

    private static string Verb(RuleOperation operation) => operation switch
    {
        RuleOperation.List => "list",
        RuleOperation.Get => "read",
        _ => operation.Name(),
    };
}
