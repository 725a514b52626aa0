using Platform.Server.Storage;

namespace Platform.Server.Auth;

/// <summary>
/// "Is this service key still there?" for the realtime session check (docs/realtime.md, "Sessions"). A key bypasses
/// rules, so a connection opened with it receives every change; one revoked on another node must end within
/// <c>Baas:Auth:SessionCheckInterval</c> as an app user's ended session does. Only that periodic check asks (once per
/// key and interval, from the store); HTTP requests are checked by <see cref="ApiKeyService"/> with its own cache.
/// </summary>
internal sealed class ServiceKeySessionCheck(IDocumentStore store) : ICallerSessionCheck
{
    public BaasCallerKind Kind => BaasCallerKind.ServiceKey;

    public async Task<bool> IsActiveAsync(BaasCaller caller, bool fresh, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await store.GetAsync(SystemDocuments.ApiKeysCollection, caller.Id, cancellationToken).ConfigureAwait(false) is not null;
    }
}
