using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Service keys: list, create (the key is shown once), revoke.</summary>
public class ApiKeysService(BaasClient client)
{
    public virtual async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await client.Admin.ApiKeys.ListAsync(cancellationToken)).OrderByDescending(k => k.CreatedAt)];

    /// <exception cref="BaasException">400 with the field <c>name</c>.</exception>
    public virtual Task<CreatedApiKey> CreateAsync(string name, CancellationToken cancellationToken = default) =>
        client.Admin.ApiKeys.CreateAsync(name, cancellationToken);

    public virtual Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default) =>
        client.Admin.ApiKeys.RevokeAsync(id, cancellationToken);
}
