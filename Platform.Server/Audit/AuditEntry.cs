using System.Text.Json.Nodes;

namespace Platform.Server.Audit;

/// <summary>
/// One admin write, as <see cref="IAuditLog.RecordAsync"/> stores it in <c>_audit</c>. <see cref="Before"/> and
/// <see cref="After"/> are masked when stored (<see cref="Common.SecretMasking.MaskJson"/>): never pass a secret in
/// any other field.
/// </summary>
/// <param name="Action">What was done, <c>area.verb</c>: <c>collections.create</c>, <c>users.patch</c>, <c>apikeys.revoke</c>, <c>documents.bulk_update</c>, <c>functions.update</c>, <c>secrets.set</c>...</param>
/// <param name="Target">What it was done to, <c>kind/id</c>: <c>collections/todos</c>, <c>users/0193...</c>, <c>apikeys/ab12...</c>.</param>
/// <param name="Actor">Who: an admin's email (else id), <c>apikey:&lt;name&gt;</c> for a service key, or <c>system</c>.</param>
/// <param name="Before">The state before (null for a create).</param>
/// <param name="After">The state after (null for a delete).</param>
public sealed record AuditEntry(string Action, string Target, string Actor, JsonNode? Before = null, JsonNode? After = null)
{
    /// <summary>The actor's id (admin id or service-key id), when known; <c>actor=</c> in the listing matches it too.</summary>
    public string? ActorId { get; init; }

    /// <summary>The client's IP address, when the write came over HTTP.</summary>
    public string? Ip { get; init; }

    /// <summary>When; null = now (the server's clock).</summary>
    public DateTimeOffset? At { get; init; }
}

/// <summary>The audit log of admin writes (<c>_audit</c>). Singleton, thread-safe.</summary>
public interface IAuditLog
{
    /// <summary>
    /// Records <paramref name="entry"/>, with <c>before</c> and <c>after</c> masked. Call it after the write succeeded.
    /// A storage failure is logged, not thrown: the write it describes has already happened and must not be reported as failed.
    /// </summary>
    Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default);
}
