using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Platform.Sdk.Auth;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>A new app user, as an admin creates it.</summary>
public sealed class NewUser
{
    /// <summary>The email address (required).</summary>
    public required string Email { get; init; }

    /// <summary>The password; without one the user can only get in through a password reset.</summary>
    public string? Password { get; init; }

    /// <summary>Roles (<c>auth.roles</c> in rules).</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>Profile data.</summary>
    public JsonObject? Data { get; init; }

    /// <summary>Marks the address as verified without a confirmation mail.</summary>
    public bool EmailVerified { get; init; }

    internal JsonObject ToJson()
    {
        var json = new JsonObject { ["email"] = Email };
        if (Password is not null)
        {
            json["password"] = Password;
        }

        if (Roles is not null)
        {
            json["roles"] = new JsonArray([.. Roles.Select(r => (JsonNode)JsonValue.Create(r))]);
        }

        if (Data is not null)
        {
            json["data"] = Data.DeepClone();
        }

        if (EmailVerified)
        {
            json["emailVerified"] = true;
        }

        return json;
    }
}

/// <summary>Changes to an app user; null properties stay as they are.</summary>
public sealed class UserUpdate
{
    /// <summary>The new roles (replacing the old ones).</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>Disables (true: every session ends, sign-in is refused) or re-enables (false) the account.</summary>
    public bool? Disabled { get; init; }

    /// <summary>A new email address.</summary>
    public string? Email { get; init; }

    /// <summary>A new password (every session of the user ends).</summary>
    public string? Password { get; init; }

    /// <summary>Profile changes as a JSON merge patch (<c>null</c> values delete keys).</summary>
    public JsonObject? Data { get; init; }

    internal JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Roles is not null)
        {
            json["roles"] = new JsonArray([.. Roles.Select(r => (JsonNode)JsonValue.Create(r))]);
        }

        if (Disabled is { } disabled)
        {
            json["disabled"] = disabled;
        }

        if (Email is not null)
        {
            json["email"] = Email;
        }

        if (Password is not null)
        {
            json["password"] = Password;
        }

        if (Data is not null)
        {
            json["data"] = Data.DeepClone();
        }

        return json;
    }
}

/// <summary>One page of app users.</summary>
/// <param name="Items">The users on this page.</param>
/// <param name="NextCursor">The cursor of the next page, or null on the last one.</param>
public sealed record UserPage(IReadOnlyList<BaasUser> Items, string? NextCursor);

/// <summary>App-user management (<c>/api/admin/users</c>), for admins and service keys.</summary>
public class UsersAdminClient
{
    private readonly BaasTransport _transport;

    internal UsersAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected UsersAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Reads one page of users.</summary>
    /// <param name="search">An email prefix or a user id, or null for everyone.</param>
    /// <param name="limit">Page size (1-1000), or null for the server's default (50).</param>
    /// <param name="cursor">The <see cref="UserPage.NextCursor"/> of the previous page, or null for the first.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public virtual async Task<UserPage> ListAsync(string? search = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(search))
        {
            query.Add("search=" + Uri.EscapeDataString(search));
        }

        if (limit is { } size)
        {
            query.Add("limit=" + size.ToString(CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(cursor))
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        var path = query.Count == 0 ? BaasPaths.AdminUsers : BaasPaths.AdminUsers + "?" + string.Join('&', query);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new UserPage(
            [.. (json["items"] as JsonArray ?? []).OfType<JsonObject>().Select(BaasUser.Read)],
            Json.String(json, "nextCursor"));
    }

    /// <summary>Every matching user, page after page.</summary>
    /// <param name="search">An email prefix or a user id, or null for everyone.</param>
    /// <param name="pageSize">Users per request.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The users.</returns>
    public virtual async IAsyncEnumerable<BaasUser> AsAsyncEnumerable(
        string? search = null,
        int pageSize = 100,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListAsync(search, pageSize, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var user in page.Items)
            {
                yield return user;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>Creates a user.</summary>
    /// <param name="user">The new user.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The created user.</returns>
    /// <exception cref="BaasException">409 <c>email_taken</c>; 400 <c>validation_failed</c>.</exception>
    public virtual async Task<BaasUser> CreateAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminUsers, user.ToJson()), cancellationToken).ConfigureAwait(false);
        return BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered a new user without a body."));
    }

    /// <summary>Reads one user.</summary>
    /// <param name="id">The user's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The user, or null when there is none with this id.</returns>
    public virtual async Task<BaasUser?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminUser(id)), cancellationToken).ConfigureAwait(false);
            return BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered a user without a body."));
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Changes a user.</summary>
    /// <param name="id">The user's id.</param>
    /// <param name="update">What to change.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The updated user.</returns>
    /// <exception cref="BaasException">404 when there is no such user; 409 <c>email_taken</c>; 400 for invalid values.</exception>
    public virtual async Task<BaasUser> UpdateAsync(string id, UserUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(update);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Patch, BaasPaths.AdminUser(id), update.ToJson()), cancellationToken).ConfigureAwait(false);
        return BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered a user change without a body."));
    }

    /// <summary>Deletes a user and ends their sessions.</summary>
    /// <param name="id">The user's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when the user was deleted, false when there was none with this id.</returns>
    public virtual async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            await _transport.SendAsync(new BaasRequest(HttpMethod.Delete, BaasPaths.AdminUser(id)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Mails the user a password-reset link, the same mail as a forgotten-password request (through SMTP, or to the
    /// outbox when no SMTP server is configured).
    /// </summary>
    /// <param name="id">The user's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="BaasException">
    /// 404 when there is no such user; 409 <c>user_has_no_email</c> (an anonymous user) or <c>user_is_disabled</c>;
    /// 503 <c>email_unavailable</c> when the SMTP server refused the mail.
    /// </exception>
    public virtual async Task SendPasswordResetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminUserPasswordReset(id)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends every session of the user: their refresh tokens stop working at once, their access tokens and realtime
    /// connections within the server's session check interval. The account itself stays as it is.
    /// </summary>
    /// <param name="id">The user's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when the sessions were ended, false when there is no user with this id.</returns>
    public virtual async Task<bool> RevokeSessionsAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminUserSessionsRevoke(id)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return false;
        }
    }
}
