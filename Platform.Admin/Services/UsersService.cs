using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;
using Platform.Sdk.Auth;

namespace Platform.Admin.Services;

/// <summary>App users: search and page through them, create, change, disable, send a password reset, end sessions, delete.</summary>
public class UsersService(BaasClient client)
{
    public const int PageSize = 50;

    /// <summary>One page of users whose email starts with <paramref name="search"/> (or whose id it is).</summary>
    public virtual Task<UserPage> ListAsync(string? search, string? cursor = null, CancellationToken cancellationToken = default) =>
        client.Admin.Users.ListAsync(string.IsNullOrWhiteSpace(search) ? null : search.Trim(), PageSize, cursor, cancellationToken);

    /// <exception cref="BaasException">409 <c>email_taken</c>; 400 with a field.</exception>
    public virtual Task<BaasUser> CreateAsync(string email, string? password, IReadOnlyList<string> roles, CancellationToken cancellationToken = default) =>
        client.Admin.Users.CreateAsync(new NewUser { Email = email, Password = string.IsNullOrEmpty(password) ? null : password, Roles = roles }, cancellationToken);

    /// <summary>Replaces the roles and merges <paramref name="data"/> into the profile (a key set to null is removed).</summary>
    public virtual Task<BaasUser> UpdateAsync(string id, IReadOnlyList<string> roles, JsonObject data, CancellationToken cancellationToken = default) =>
        client.Admin.Users.UpdateAsync(id, new UserUpdate { Roles = roles, Data = data }, cancellationToken);

    /// <summary>Disabling ends every session of the user and refuses sign-in; enabling allows sign-in again.</summary>
    public virtual Task<BaasUser> SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken = default) =>
        client.Admin.Users.UpdateAsync(id, new UserUpdate { Disabled = disabled }, cancellationToken);

    /// <summary>Mails the user a password-reset link (the admin endpoint, which says why when nothing can be sent).</summary>
    /// <exception cref="BaasException">404; 409 <c>user_has_no_email</c> or <c>user_is_disabled</c>; 503 <c>email_unavailable</c>.</exception>
    public virtual Task SendPasswordResetAsync(string id, CancellationToken cancellationToken = default) =>
        client.Admin.Users.SendPasswordResetAsync(id, cancellationToken);

    /// <summary>Ends every session of the user (refresh tokens, access tokens and realtime connections); the account stays.</summary>
    /// <returns>False when the user no longer exists.</returns>
    public virtual Task<bool> EndSessionsAsync(string id, CancellationToken cancellationToken = default) =>
        client.Admin.Users.RevokeSessionsAsync(id, cancellationToken);

    public virtual Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        client.Admin.Users.DeleteAsync(id, cancellationToken);

    /// <summary>Roles as typed in a field: comma or space separated, trimmed, without duplicates.</summary>
    public static IReadOnlyList<string> ParseRoles(string? text) =>
        [.. (text ?? string.Empty).Split([',', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The profile patch that turns <paramref name="before"/> into <paramref name="after"/>: changed keys, and removed
    /// keys as null (the server applies it as a JSON merge patch).
    /// </summary>
    public static JsonObject DataPatch(JsonObject before, JsonObject after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var patch = new JsonObject();
        foreach (var (key, value) in after)
        {
            if (!before.TryGetPropertyValue(key, out var old) || !JsonNode.DeepEquals(old, value))
            {
                patch[key] = value?.DeepClone();
            }
        }

        foreach (var (key, _) in before)
        {
            if (!after.ContainsKey(key))
            {
                patch[key] = null;
            }
        }

        return patch;
    }
}
