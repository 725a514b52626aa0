using System.Text.Json.Nodes;

namespace Platform.Sdk.Admin;

/// <summary>Live subscriptions on one collection.</summary>
/// <param name="Name">The collection.</param>
/// <param name="Subscriptions">Subscriptions on it.</param>
public sealed record CollectionSubscriptions(string Name, int Subscriptions);

/// <summary>The realtime clients of the node that answered (each node counts its own).</summary>
/// <param name="Connections">Open connections.</param>
/// <param name="Subscriptions">Live subscriptions.</param>
/// <param name="Collections">Subscriptions per collection.</param>
public sealed record RealtimeStatistics(int Connections, int Subscriptions, IReadOnlyList<CollectionSubscriptions> Collections);

/// <summary>One recorded admin write.</summary>
/// <param name="Id">The entry's id.</param>
/// <param name="At">When.</param>
/// <param name="Actor">Who: an admin's email, <c>apikey:&lt;name&gt;</c>, or <c>setup</c>.</param>
/// <param name="Action">What, e.g. <c>collections.update</c>, <c>users.patch</c>, <c>documents.bulk_delete</c>.</param>
/// <param name="Target">On what, e.g. <c>collections/todos</c>.</param>
/// <param name="Before">The state before (secrets masked), or null.</param>
/// <param name="After">The state after (secrets masked), or null.</param>
/// <param name="Ip">The client's address, when known.</param>
public sealed record AuditEntry(string Id, DateTimeOffset At, string Actor, string Action, string Target, JsonNode? Before, JsonNode? After, string? Ip);

/// <summary>One page of the audit log, newest first.</summary>
/// <param name="Items">The entries.</param>
/// <param name="NextCursor">The cursor of the next (older) page, or null on the last.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);

/// <summary>Which audit entries to list; null properties do not filter.</summary>
public sealed class AuditQuery
{
    /// <summary>An admin's email or id, or <c>apikey:&lt;name&gt;</c>.</summary>
    public string? Actor { get; init; }

    /// <summary>A target such as <c>collections/todos</c>.</summary>
    public string? Target { get; init; }

    /// <summary>An action such as <c>users.patch</c>.</summary>
    public string? Action { get; init; }

    /// <summary>Page size (1-1000), or null for the server's default (50).</summary>
    public int? Limit { get; init; }

    /// <summary>The previous page's <see cref="AuditPage.NextCursor"/>.</summary>
    public string? Cursor { get; init; }
}

/// <summary>What the server says about itself (<c>GET /api/admin/overview</c>).</summary>
/// <param name="Version">The server build's version.</param>
/// <param name="StorageProvider"><c>sqlite</c> or <c>mongodb</c>.</param>
/// <param name="Ready">Whether its readiness checks (<c>/health/ready</c>) pass.</param>
/// <param name="Health"><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</param>
public sealed record ServerOverview(string Version, string StorageProvider, bool Ready, string Health)
{
    /// <summary>How many functions are defined (enabled or not).</summary>
    public int Functions { get; init; }

    /// <summary>The newest failed or timed-out runs of any function, newest first (as many as asked for; 10 by default).</summary>
    public IReadOnlyList<FunctionFailure> RecentFailures { get; init; } = [];
}

/// <summary>One failed run on the overview (<c>GET /api/admin/overview</c>).</summary>
/// <param name="Id">The run's id (<c>Admin.Functions.GetRunAsync(Function, Id)</c> reads it whole).</param>
/// <param name="Function">The function's name.</param>
/// <param name="Version">The function version that ran.</param>
/// <param name="Trigger"><c>schedule</c>, <c>document</c>, <c>callable</c> or <c>manual</c>.</param>
/// <param name="Status">The run's error code: <c>failed</c> (threw, or broke a limit other than time) or <c>timedOut</c>.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Error">The error's message, line and column, when the run recorded one.</param>
/// <param name="DeadLetter">Whether it was the last attempt of a trigger or schedule run.</param>
public sealed record FunctionFailure(
    string Id, string Function, int Version, string Trigger, string Status, DateTimeOffset StartedAt, Functions.FunctionRunError? Error, bool DeadLetter);
