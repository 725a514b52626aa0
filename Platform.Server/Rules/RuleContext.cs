using System.Text.Json.Nodes;

namespace Platform.Server.Rules;

/// <summary>What a rule sees when it is evaluated. Every member may be absent; an absent value reads as null.</summary>
public sealed class RuleContext
{
    /// <summary>The caller (<c>id</c>, <c>email</c>, <c>roles</c>, <c>anonymous</c>, <c>verified</c>), or null when signed out.</summary>
    public JsonObject? Auth { get; init; }

    /// <summary>The stored document (get, update, delete).</summary>
    public JsonObject? Doc { get; init; }

    /// <summary>The document as it would be after the write (create, update).</summary>
    public JsonObject? Data { get; init; }

    /// <summary>The current time as an ISO-8601 UTC string with milliseconds, comparable with <c>_createdAt</c>.</summary>
    public string? Now { get; init; }

    /// <summary>A callable function's <c>args</c> (invoke rules only); any JSON value.</summary>
    public JsonNode? Args { get; init; }
}
