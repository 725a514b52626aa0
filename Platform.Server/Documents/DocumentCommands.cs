using System.Text.Json.Nodes;

namespace Platform.Server.Documents;

/// <summary>One write as a client asked for it (a REST call or one op of a batch).</summary>
public abstract record DocumentCommand(string Collection, long? IfMatch)
{
    /// <summary>The document the command targets, when the client named one.</summary>
    public abstract string? TargetId { get; }

    /// <summary>
    /// The raw <c>If-None-Match</c> of a write (RFC 9110, section 13.1.2): the write fails with 412 when the document
    /// exists and the header is <c>*</c> or names its version (<c>PUT ?upsert=true</c> with <c>*</c> creates only). Null
    /// when absent.
    /// </summary>
    public string? IfNoneMatch { get; init; }
}

/// <summary>Create a document; the id comes from <c>_id</c> in the body or is generated.</summary>
public sealed record CreateCommand(string Collection, JsonObject Data) : DocumentCommand(Collection, null)
{
    public override string? TargetId => null;
}

/// <summary>
/// Replace a document's fields; with <see cref="Upsert"/> create it when absent, unless <see cref="MustExist"/>
/// (<c>If-Match: *</c>, which RFC 9110 makes false when there is no current document).
/// </summary>
public sealed record ReplaceCommand(string Collection, string Id, JsonObject Data, long? IfMatch = null, bool Upsert = false, bool MustExist = false)
    : DocumentCommand(Collection, IfMatch)
{
    public override string? TargetId => Id;
}

/// <summary>RFC 7386 merge patch, or operator update when every top-level key starts with <c>$</c>.</summary>
public sealed record PatchCommand(string Collection, string Id, JsonObject Data, long? IfMatch = null)
    : DocumentCommand(Collection, IfMatch)
{
    public override string? TargetId => Id;
}

/// <summary>Delete a document.</summary>
public sealed record DeleteCommand(string Collection, string Id, long? IfMatch = null)
    : DocumentCommand(Collection, IfMatch)
{
    public override string? TargetId => Id;
}

/// <summary>What a command did: the HTTP status it stands for and the document after it (null for deletes).</summary>
public sealed record CommandResult(int Status, JsonObject? Document);
