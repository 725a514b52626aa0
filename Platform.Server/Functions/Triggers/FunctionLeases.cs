using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Triggers;

/// <summary>A node's claim on one function's feed, as last written (<see cref="Version"/> is the stored <c>_version</c>).</summary>
public sealed record FunctionLease(string Function, string Owner, DateTimeOffset ExpiresAt, long Version);

/// <summary>
/// Leases in <c>_function_leases</c> (<c>{ _id: function, owner, expiresAt }</c>): one consuming node per function. Every
/// change goes through the store's version check, so taking, renewing and taking over are compare-and-set: of two
/// nodes racing for an expired lease exactly one wins, and an owner that was paused past its expiry finds its renewal
/// refused once another node has taken over. Times come from <see cref="TimeProvider"/>.
/// </summary>
public sealed class FunctionLeases(IDocumentStore store, IOptions<AfterTriggerOptions> options, TimeProvider time)
{
    public const string Collection = "_function_leases";

    /// <summary>Takes the lease when it is free, expired or already <paramref name="owner"/>'s; null when another node holds it.</summary>
    public async Task<FunctionLease?> TryAcquireAsync(string function, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(owner);
        var now = time.GetUtcNow();
        var stored = await store.GetAsync(Collection, function, cancellationToken);
        if (stored is null)
        {
            var lease = new FunctionLease(function, owner, now + options.Value.LeaseDuration, 1);
            try
            {
                await store.WriteAsync([new InsertOperation(Collection, ToDocument(lease, now, createdAt: now))], cancellationToken);
                return lease;
            }
            catch (DuplicateIdException)
            {
                return null;
            }
        }

        var current = FromDocument(function, stored);
        if (current.Owner != owner && current.ExpiresAt > now)
        {
            return null;
        }

        return await WriteAsync(current with { Owner = owner }, stored, now, cancellationToken);
    }

    /// <summary>Extends a held lease; null when it was lost (another node took it over, or it was released).</summary>
    public async Task<FunctionLease?> RenewAsync(FunctionLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var now = time.GetUtcNow();
        var stored = await store.GetAsync(Collection, lease.Function, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        var current = FromDocument(lease.Function, stored);
        return current.Version == lease.Version && current.Owner == lease.Owner ? await WriteAsync(lease, stored, now, cancellationToken) : null;
    }

    /// <summary>Gives the lease up (graceful stop), so another node may take over at once; a no-op when it was already lost.</summary>
    public async Task ReleaseAsync(FunctionLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await store.WriteAsync([new DeleteOperation(Collection, lease.Function, lease.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            // Taken over or gone already.
        }
    }

    /// <summary>The stored lease of <paramref name="function"/>, or null.</summary>
    public async Task<FunctionLease?> GetAsync(string function, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(Collection, function, cancellationToken);
        return stored is null ? null : FromDocument(function, stored);
    }

    private async Task<FunctionLease?> WriteAsync(FunctionLease lease, JsonObject stored, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = stored[SystemFields.Version]!.GetValue<long>();
        var next = lease with { ExpiresAt = now + options.Value.LeaseDuration, Version = version + 1 };
        var createdAt = stored[SystemFields.CreatedAt] is JsonValue created && created.TryGetValue<string>(out var text) ? ParseTime(text) : now;
        try
        {
            await store.WriteAsync([new ReplaceOperation(Collection, ToDocument(next, now, createdAt), version)], cancellationToken);
            return next;
        }
        catch (VersionMismatchException)
        {
            return null;
        }
    }

    private static JsonObject ToDocument(FunctionLease lease, DateTimeOffset now, DateTimeOffset createdAt) => new()
    {
        [SystemFields.Id] = lease.Function,
        [SystemFields.Version] = lease.Version,
        [SystemFields.CreatedAt] = Timestamps.Format(createdAt),
        [SystemFields.UpdatedAt] = Timestamps.Format(now),
        [SystemFields.CreatedBy] = null,
        ["owner"] = lease.Owner,
        ["expiresAt"] = Timestamps.Format(lease.ExpiresAt),
    };

    private static FunctionLease FromDocument(string function, JsonObject document) => new(
        function,
        document["owner"]?.GetValue<string>() ?? string.Empty,
        document["expiresAt"] is JsonValue expires && expires.TryGetValue<string>(out var text) ? ParseTime(text) : DateTimeOffset.MinValue,
        document[SystemFields.Version]!.GetValue<long>());

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParseExact(text, Timestamps.Pattern, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : DateTimeOffset.MinValue;
}
