using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Admin accounts: list and create.</summary>
public class AdminAccountsService(BaasClient client)
{
    public virtual async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await client.Admin.Admins.ListAsync(cancellationToken)).OrderBy(a => a.Email, StringComparer.Ordinal)];

    /// <exception cref="BaasException">400 with a field (email, password), 409 <c>email_taken</c>.</exception>
    public virtual Task<AdminAccount> CreateAsync(string email, string password, CancellationToken cancellationToken = default) =>
        client.Admin.Admins.CreateAsync(email, password, cancellationToken);
}
