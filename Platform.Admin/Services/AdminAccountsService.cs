using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Admin accounts: list, create, disable and enable.</summary>
public class AdminAccountsService(BaasClient client)
{
    public virtual async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await client.Admin.Admins.ListAsync(cancellationToken)).OrderBy(a => a.Email, StringComparer.Ordinal)];

    /// <exception cref="BaasException">400 with a field (email, password), 409 <c>email_taken</c>.</exception>
    public virtual Task<AdminAccount> CreateAsync(string email, string password, CancellationToken cancellationToken = default) =>
        client.Admin.Admins.CreateAsync(email, password, cancellationToken);

    /// <summary>Disables another admin (its tokens stop working at once, its sign-in is refused) or enables it again.</summary>
    /// <exception cref="BaasException">409 <c>cannot_disable_self</c>, 404 <c>admin_not_found</c>.</exception>
    public virtual Task<AdminAccount> SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken = default) =>
        client.Admin.Admins.SetDisabledAsync(id, disabled, cancellationToken);
}
