using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Users;

/// <summary>
/// Identity's user store over the platform's own <see cref="IDocumentStore"/> (collection <c>_users</c>), so
/// app users live wherever the data does, SQLite or MongoDB. Every write is a whole-document replace guarded
/// by <c>_version</c>: a lost race is Identity's <c>ConcurrencyFailure</c>, never a silent overwrite.
/// Uniqueness of emails is the unique index on <c>normalizedEmail</c> (anonymous users omit the field, and
/// missing fields are not constrained), so two nodes cannot create the same email.
/// </summary>
internal sealed class AppUserStore(IDocumentStore store, TimeProvider time, IdentityErrorDescriber errors) :
    IUserPasswordStore<AppUser>,
    IUserEmailStore<AppUser>,
    IUserLockoutStore<AppUser>,
    IUserSecurityStampStore<AppUser>
{
    public const string Collection = "_users";
    internal const string NormalizedEmailField = "normalizedEmail";

    public void Dispose()
    {
        // Nothing to release: the document store is a shared singleton.
    }

    public Task<string> GetUserIdAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).Id);

    // The user name is the id: people sign in by email and anonymous users have no other name.
    public Task<string?> GetUserNameAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(Checked(user).Id);

    public Task SetUserNameAsync(AppUser user, string? userName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<string?> GetNormalizedUserNameAsync(AppUser user, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(Checked(user).Id);

    public Task SetNormalizedUserNameAsync(AppUser user, string? normalizedName, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<IdentityResult> CreateAsync(AppUser user, CancellationToken cancellationToken)
    {
        Checked(user);
        var now = time.GetUtcNow();
        user.CreatedAt = now;
        if (user.LastLoginAt is not null)
        {
            // A sign-up (or anonymous sign-in) signs in as it creates the account: one instant for both.
            user.LastLoginAt = now;
        }

        var document = ToDocument(user, version: 1, now);
        try
        {
            await store.WriteAsync([new InsertOperation(Collection, document)], cancellationToken);
        }
        catch (UniqueIndexViolationException)
        {
            return IdentityResult.Failed(errors.DuplicateEmail(user.Email ?? string.Empty));
        }
        catch (DuplicateIdException)
        {
            return IdentityResult.Failed(errors.DuplicateUserName(user.Id));
        }

        user.Version = 1;
        return IdentityResult.Success;
    }

    public async Task<IdentityResult> UpdateAsync(AppUser user, CancellationToken cancellationToken)
    {
        Checked(user);
        var now = time.GetUtcNow();
        var document = ToDocument(user, user.Version + 1, now);
        try
        {
            await store.WriteAsync([new ReplaceOperation(Collection, document, user.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return IdentityResult.Failed(errors.ConcurrencyFailure());
        }
        catch (UniqueIndexViolationException)
        {
            return IdentityResult.Failed(errors.DuplicateEmail(user.Email ?? string.Empty));
        }

        user.Version++;
        return IdentityResult.Success;
    }

    public async Task<IdentityResult> DeleteAsync(AppUser user, CancellationToken cancellationToken)
    {
        Checked(user);
        try
        {
            await store.WriteAsync([new DeleteOperation(Collection, user.Id, user.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return IdentityResult.Failed(errors.ConcurrencyFailure());
        }

        return IdentityResult.Success;
    }

    public async Task<AppUser?> FindByIdAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var document = await store.GetAsync(Collection, userId, cancellationToken);
        return document is null ? null : FromDocument(document);
    }

    // Identity upper-cases names before lookups; ids are lower-case hex.
    public Task<AppUser?> FindByNameAsync(string normalizedUserName, CancellationToken cancellationToken) =>
        FindByIdAsync(normalizedUserName.ToLowerInvariant(), cancellationToken);

    public async Task<AppUser?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(normalizedEmail);
        var found = await store.QueryAsync(Collection, SystemDocuments.WhereEquals(NormalizedEmailField, normalizedEmail), cancellationToken);
        return found.Count == 0 ? null : FromDocument(found[0]);
    }

    public Task SetPasswordHashAsync(AppUser user, string? passwordHash, CancellationToken cancellationToken)
    {
        Checked(user).PasswordHash = passwordHash;
        return Task.CompletedTask;
    }

    public Task<string?> GetPasswordHashAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).PasswordHash);

    public Task<bool> HasPasswordAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).PasswordHash is not null);

    public Task SetEmailAsync(AppUser user, string? email, CancellationToken cancellationToken)
    {
        Checked(user).Email = email;
        return Task.CompletedTask;
    }

    public Task<string?> GetEmailAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).Email);

    public Task<bool> GetEmailConfirmedAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).EmailConfirmed);

    public Task SetEmailConfirmedAsync(AppUser user, bool confirmed, CancellationToken cancellationToken)
    {
        Checked(user).EmailConfirmed = confirmed;
        return Task.CompletedTask;
    }

    public Task<string?> GetNormalizedEmailAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).NormalizedEmail);

    public Task SetNormalizedEmailAsync(AppUser user, string? normalizedEmail, CancellationToken cancellationToken)
    {
        Checked(user).NormalizedEmail = normalizedEmail;
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> GetLockoutEndDateAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).LockoutEnd);

    public Task SetLockoutEndDateAsync(AppUser user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken)
    {
        Checked(user).LockoutEnd = lockoutEnd;
        return Task.CompletedTask;
    }

    public Task<int> IncrementAccessFailedCountAsync(AppUser user, CancellationToken cancellationToken) =>
        Task.FromResult(++Checked(user).AccessFailedCount);

    public Task ResetAccessFailedCountAsync(AppUser user, CancellationToken cancellationToken)
    {
        Checked(user).AccessFailedCount = 0;
        return Task.CompletedTask;
    }

    public Task<int> GetAccessFailedCountAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).AccessFailedCount);

    public Task<bool> GetLockoutEnabledAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).LockoutEnabled);

    public Task SetLockoutEnabledAsync(AppUser user, bool enabled, CancellationToken cancellationToken)
    {
        Checked(user).LockoutEnabled = enabled;
        return Task.CompletedTask;
    }

    public Task SetSecurityStampAsync(AppUser user, string stamp, CancellationToken cancellationToken)
    {
        Checked(user).SecurityStamp = stamp;
        return Task.CompletedTask;
    }

    public Task<string?> GetSecurityStampAsync(AppUser user, CancellationToken cancellationToken) => Task.FromResult(Checked(user).SecurityStamp);

    internal static JsonObject ToDocument(AppUser user, long version, DateTimeOffset now)
    {
        var document = new JsonObject
        {
            [SystemFields.Id] = user.Id,
            [SystemFields.Version] = version,
            [SystemFields.CreatedAt] = Timestamps.Format(user.CreatedAt),
            [SystemFields.UpdatedAt] = Timestamps.Format(now),
            [SystemFields.CreatedBy] = null,
        };
        if (user.Email is not null)
        {
            document["email"] = user.Email;
        }

        // Omitted, not null, for users without an email: a unique index constrains null but not a missing field.
        if (user.NormalizedEmail is not null)
        {
            document[NormalizedEmailField] = user.NormalizedEmail;
        }

        document["emailVerified"] = user.EmailConfirmed;
        document["passwordHash"] = user.PasswordHash;
        document["securityStamp"] = user.SecurityStamp;
        document["anonymous"] = user.Anonymous;
        document["roles"] = new JsonArray([.. user.Roles.Select(r => (JsonNode)JsonValue.Create(r))]);
        document["data"] = user.Data.DeepClone();
        document["disabled"] = user.Disabled;
        document["lastLoginAt"] = user.LastLoginAt is { } login ? Timestamps.Format(login) : null;
        document["lockoutEnd"] = user.LockoutEnd is { } end ? Timestamps.Format(end) : null;
        document["accessFailedCount"] = user.AccessFailedCount;
        document["lockoutEnabled"] = user.LockoutEnabled;
        return document;
    }

    internal static AppUser FromDocument(JsonObject document)
    {
        var user = new AppUser
        {
            Id = SystemDocuments.GetString(document, SystemFields.Id),
            Version = SystemDocuments.GetVersion(document),
            Email = document["email"]?.GetValue<string>(),
            NormalizedEmail = document[NormalizedEmailField]?.GetValue<string>(),
            EmailConfirmed = document["emailVerified"]?.GetValue<bool>() ?? false,
            PasswordHash = document["passwordHash"]?.GetValue<string>(),
            SecurityStamp = document["securityStamp"]?.GetValue<string>(),
            Anonymous = document["anonymous"]?.GetValue<bool>() ?? false,
            Data = document["data"] is JsonObject data ? data.DeepClone().AsObject() : [],
            Disabled = document["disabled"]?.GetValue<bool>() ?? false,
            CreatedAt = ParseTimestamp(document[SystemFields.CreatedAt]) ?? DateTimeOffset.MinValue,
            LastLoginAt = ParseTimestamp(document["lastLoginAt"]),
            LockoutEnd = ParseTimestamp(document["lockoutEnd"]),
            AccessFailedCount = document["accessFailedCount"]?.GetValue<int>() ?? 0,
            LockoutEnabled = document["lockoutEnabled"]?.GetValue<bool>() ?? false,
        };
        if (document["roles"] is JsonArray roles)
        {
            foreach (var role in roles)
            {
                user.Roles.Add(role!.GetValue<string>());
            }
        }

        return user;
    }

    private static DateTimeOffset? ParseTimestamp(JsonNode? node) =>
        node?.GetValue<string>() is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal) : null;

    private static AppUser Checked(AppUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user;
    }
}
