using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Users;

/// <summary>The admin side of app users (<c>/api/admin/users</c>): listing, creating, changing and deleting accounts.</summary>
internal sealed class UserAdminService(
    AppUserManager users,
    UserService self,
    SessionService sessions,
    IDocumentStore store,
    ILogger<UserAdminService> logger)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    /// <summary>Users in creation order, keyset-paged by id; <paramref name="search"/> is an email prefix or an exact id.</summary>
    public async Task<UserPage> ListAsync(string? search, string? limitText, string? cursor, CancellationToken cancellationToken)
    {
        var limit = DefaultLimit;
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            throw new InvalidInputException("invalid_limit", $"'limit' must be an integer from 1 to {MaxLimit}.", "limit");
        }

        FilterNode filter = MatchAllNode.Instance;
        if (search?.Trim() is { Length: > 0 } term)
        {
            filter = new OrNode(
            [
                new FieldNode(AppUserStore.NormalizedEmailField, FieldOperator.StartsWith, ScalarJson.Element(users.NormalizeEmail(term))),
                new FieldNode(SystemFields.Id, FieldOperator.Eq, ScalarJson.Element(term)),
            ]);
        }

        var after = cursor is null ? null : new[] { ScalarJson.Element(DecodeCursor(cursor)) };
        var documents = await store.QueryAsync(
            AppUserStore.Collection, new DocumentQuery(filter, [new SortField(SystemFields.Id)], limit + 1, after), cancellationToken);
        var page = documents.Take(limit).Select(AppUserStore.FromDocument).ToList();
        var next = documents.Count > limit ? EncodeCursor(page[^1].Id) : null;
        return new UserPage([.. page.Select(UserView.From)], next);
    }

    public async Task<AppUser> GetAsync(string id) =>
        await users.FindByIdAsync(id) ?? throw DomainException.NotFound($"User '{id}' was not found.");

    /// <summary><c>{ email, password?, roles?, data?, emailVerified? }</c>; without a password the user sets one through a reset.</summary>
    public async Task<AppUser> CreateAsync(JsonObject body, string? createdBy)
    {
        UserProblems.OnlyFields(body, "email", "password", "roles", "data", "emailVerified");
        var user = new AppUser
        {
            Email = UserService.ValidEmail(UserProblems.RequiredString(body, "email")),
            EmailConfirmed = UserProblems.OptionalBool(body, "emailVerified") ?? false,
            Data = UserData.Merge([], UserProblems.OptionalObject(body, "data") ?? []),
        };
        if (body.ContainsKey("roles"))
        {
            foreach (var role in UserRoles.Parse(body["roles"]))
            {
                user.Roles.Add(role);
            }
        }

        var password = UserProblems.OptionalString(body, "password");
        var result = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            throw UserProblems.From(result);
        }

        UserLog.UserChangedByAdmin(logger, user.Id, "created", createdBy);
        return user;
    }

    /// <summary>Any of <c>roles</c>, <c>disabled</c>, <c>email</c>, <c>password</c>, <c>data</c> (merge patch), in one write.</summary>
    public async Task<AppUser> PatchAsync(string id, JsonObject body, string? changedBy, CancellationToken cancellationToken)
    {
        UserProblems.OnlyFields(body, "roles", "disabled", "email", "password", "data");
        var roles = body.ContainsKey("roles") ? UserRoles.Parse(body["roles"]) : null;
        var disabled = UserProblems.OptionalBool(body, "disabled");
        var email = UserProblems.OptionalString(body, "email") is { } given ? UserService.ValidEmail(given) : null;
        var password = UserProblems.OptionalString(body, "password");
        var data = body.ContainsKey("data") ? UserProblems.OptionalObject(body, "data") ?? [] : null;
        var clearData = body.ContainsKey("data") && body["data"] is null;

        var user = await GetAsync(id);
        var wasDisabled = user.Disabled;
        user = await self.SaveAsync(user, async u =>
        {
            if (roles is not null)
            {
                u.Roles.Clear();
                foreach (var role in roles)
                {
                    u.Roles.Add(role);
                }
            }

            if (disabled is { } value)
            {
                u.Disabled = value;
            }

            if (email is not null && email != u.Email)
            {
                u.Email = email;
                u.EmailConfirmed = false;
                u.Anonymous = false;
                u.SecurityStamp = UserService.NewStamp();
            }

            if (clearData)
            {
                u.Data = [];
            }
            else if (data is not null)
            {
                u.Data = UserData.Merge(u.Data, data);
            }

            return password is null ? await users.UpdateAsync(u) : await users.UpdateWithPasswordAsync(u, password);
        });

        if (user.Disabled && !wasDisabled)
        {
            await sessions.RevokeAllAsync(user.Id, "user disabled", cancellationToken);
            UserLog.UserChangedByAdmin(logger, user.Id, "disabled", changedBy);
        }
        else if (password is not null)
        {
            await sessions.RevokeAllAsync(user.Id, "password changed by an admin", cancellationToken);
            UserLog.UserChangedByAdmin(logger, user.Id, "given a new password", changedBy);
        }

        return user;
    }

    /// <summary>
    /// Mails the user a password-reset link through the same path as <c>/api/auth/password/forgot</c> (SMTP or the
    /// outbox). Unlike the self-service request it says why nothing was sent: the caller is an admin.
    /// </summary>
    public async Task SendPasswordResetAsync(string id, string? sentBy, CancellationToken cancellationToken)
    {
        var user = await GetAsync(id);
        if (user.Email is null)
        {
            throw new DomainException(
                ErrorKind.Conflict,
                "user_has_no_email",
                $"User '{id}' has no email address (an anonymous user), so no reset link can be sent. Set an email or a password with PATCH instead.");
        }

        if (user.Disabled)
        {
            throw new DomainException(
                ErrorKind.Conflict,
                "user_is_disabled",
                $"User '{id}' is disabled: a new password would not let them sign in. Enable the account first.");
        }

        await self.SendPasswordResetAsync(user, cancellationToken);
        UserLog.UserChangedByAdmin(logger, id, "sent a password reset", sentBy);
    }

    /// <summary>Ends every session of the user (refresh-token families and realtime connections); false when there is no such user.</summary>
    public async Task<bool> RevokeSessionsAsync(string id, string? revokedBy, CancellationToken cancellationToken)
    {
        if (await users.FindByIdAsync(id) is null)
        {
            return false;
        }

        await sessions.RevokeAllAsync(id, "sessions ended by an admin", cancellationToken);
        UserLog.UserChangedByAdmin(logger, id, "signed out everywhere", revokedBy);
        return true;
    }

    /// <summary>Deletes the user and ends their sessions; false when there is no such user.</summary>
    public async Task<bool> DeleteAsync(string id, string? deletedBy, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var user = await users.FindByIdAsync(id);
            if (user is null)
            {
                return false;
            }

            var result = await users.DeleteAsync(user);
            if (result.Succeeded)
            {
                await sessions.RevokeAllAsync(id, "user deleted", cancellationToken);
                UserLog.UserChangedByAdmin(logger, id, "deleted", deletedBy);
                return true;
            }

            if (attempt >= 5)
            {
                throw UserProblems.From(result);
            }
        }
    }

    internal static string EncodeCursor(string id) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(id));

    internal static string DecodeCursor(string cursor)
    {
        try
        {
            var id = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(cursor));
            if (id.Length is > 0 and <= 128 && id.All(char.IsAsciiLetterOrDigit))
            {
                return id;
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
        }

        throw new InvalidInputException("invalid_cursor", "The cursor is not one this server issued.", "cursor");
    }
}
