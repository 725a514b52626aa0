using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Users;

namespace Platform.Server.Admin;

/// <summary>An admin account as the API shows it (never the password hash).</summary>
public sealed record AdminAccount(string Id, string Email, string CreatedAt, bool Disabled = false);

/// <summary>
/// The answer of <see cref="AdminAccountService.VerifyCredentialsAsync"/>: the admin when the password is right,
/// or when the account is locked (even for the right password), the time the lockout ends.
/// </summary>
/// <param name="Admin">The admin when the password is right.</param>
/// <param name="LockedOutUntil">When the account is locked: the time the lockout ends.</param>
/// <param name="LockedNow">True when this wrong password is the one that locked the account.</param>
public sealed record AdminCredentialCheck(AdminAccount? Admin, DateTimeOffset? LockedOutUntil = null, bool LockedNow = false);

/// <summary>What <see cref="AdminAccountService.SetDisabledAsync"/> did.</summary>
public enum AdminChangeOutcome
{
    Changed,
    NotFound,
}

/// <summary>
/// Admin accounts in <c>_admins</c>: <c>{ email, passwordHash, createdAt, disabled?, tokenStamp? }</c>, email
/// normalized and unique (a unique index, so two nodes cannot create the same admin). Passwords use Identity's
/// <see cref="PasswordHasher{TUser}"/>. Admin tokens carry the account's <c>tokenStamp</c> as <c>sid</c>: signing
/// out replaces the stamp, which ends every token issued before (see <see cref="AdminSessionGuard"/>). Wrong passwords
/// are counted in <c>failedLogins</c>; after <c>Baas:Auth:Lockout:MaxFailedAttempts</c> in a row the account is locked
/// until <c>lockoutEnd</c> (<c>Baas:Auth:Lockout:Duration</c> later), like an app user's.
/// </summary>
public sealed class AdminAccountService
{
    internal const string EmailField = "email";
    internal const string PasswordHashField = "passwordHash";
    internal const string DisabledField = "disabled";
    internal const string TokenStampField = "tokenStamp";
    internal const string FailedLoginsField = "failedLogins";
    internal const string LockoutEndField = "lockoutEnd";
    internal const int MaxListed = 1000;

    private static readonly AdminAccount HashingSubject = new(string.Empty, string.Empty, string.Empty);

    private readonly IDocumentStore _store;
    private readonly IPasswordHasher<AdminAccount> _hasher;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _dummyHash;

    private readonly AdminSessionGuard _guard;
    private readonly UserLockoutOptions _lockout;

    public AdminAccountService(
        IDocumentStore store,
        IPasswordHasher<AdminAccount> hasher,
        TimeProvider time,
        AdminSessionGuard guard,
        IOptions<UserAuthOptions>? authOptions = null)
    {
        _store = store;
        _hasher = hasher;
        _time = time;
        _guard = guard;
        _lockout = authOptions?.Value.Lockout ?? new UserLockoutOptions();
        // Verified against for unknown emails, so they cost as much time as a wrong password.
        _dummyHash = new Lazy<string>(() => hasher.HashPassword(HashingSubject, Convert.ToBase64String(Guid.NewGuid().ToByteArray())));
    }

    /// <summary>Creates the collection and its unique email index; idempotent.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _store.CreateCollectionAsync(SystemDocuments.AdminsCollection, cancellationToken);
        await _store.ApplyIndexesAsync(
            SystemDocuments.AdminsCollection,
            [new IndexDefinition([new SortField(EmailField)], Unique: true)],
            cancellationToken);
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default)
    {
        var first = await _store.QueryAsync(
            SystemDocuments.AdminsCollection, new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.Id)], 1), cancellationToken);
        return first.Count > 0;
    }

    public async Task<AdminAccount?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var document = await _store.GetAsync(SystemDocuments.AdminsCollection, id, cancellationToken);
        return document is null ? null : ToAccount(document);
    }

    public async Task<AdminAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        var document = await FindDocumentAsync(AdminCredentials.NormalizeEmail(email), cancellationToken);
        return document is null ? null : ToAccount(document);
    }

    /// <summary>All admins in creation order (at most <see cref="MaxListed"/>).</summary>
    public async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken cancellationToken = default)
    {
        var documents = await _store.QueryAsync(
            SystemDocuments.AdminsCollection,
            new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.Id)], MaxListed),
            cancellationToken);
        return [.. documents.Select(ToAccount)];
    }

    /// <summary>
    /// Creates an admin; null when an admin with this email exists. Callers validate with
    /// <see cref="AdminCredentials.Validate"/> first; invalid input here is a programming error.
    /// </summary>
    public async Task<AdminAccount?> CreateAsync(string email, string password, string? createdBy, CancellationToken cancellationToken = default)
    {
        email = AdminCredentials.NormalizeEmail(email);
        var errors = AdminCredentials.Validate(email, password);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors.Select(e => e.Message)));
        }

        var now = _time.GetUtcNow();
        var document = SystemDocuments.Create(
            SystemDocuments.NewId(),
            now,
            createdBy,
            (EmailField, email),
            (PasswordHashField, _hasher.HashPassword(HashingSubject, password)),
            ("createdAt", SystemDocuments.FormatTimestamp(now)));
        try
        {
            await _store.WriteAsync([new InsertOperation(SystemDocuments.AdminsCollection, document)], cancellationToken);
        }
        catch (UniqueIndexViolationException)
        {
            return null;
        }

        return ToAccount(document);
    }

    /// <summary>
    /// Signs the admin out everywhere: a new token stamp ends every token issued before, at once on this node and
    /// within <c>Baas:Auth:SessionCheckInterval</c> on others. False when the admin does not exist.
    /// </summary>
    public async Task<bool> SignOutAsync(string id, CancellationToken cancellationToken = default)
    {
        var changed = await ChangeAsync(id, d => d[TokenStampField] = NewStamp(), cancellationToken);
        if (changed is not null)
        {
            _guard.Ended(id);
        }

        return changed is not null;
    }

    /// <summary>Disables or enables an admin. Disabling ends the admin's tokens as <see cref="SignOutAsync"/> does.</summary>
    public async Task<(AdminChangeOutcome Outcome, AdminAccount? Admin)> SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken = default)
    {
        var changed = await ChangeAsync(
            id,
            d =>
            {
                d[DisabledField] = disabled;
                if (disabled)
                {
                    d[TokenStampField] = NewStamp();
                }
            },
            cancellationToken);
        if (changed is null)
        {
            return (AdminChangeOutcome.NotFound, null);
        }

        if (disabled)
        {
            _guard.Ended(id);
        }
        else
        {
            _guard.Changed(id);
        }

        return (AdminChangeOutcome.Changed, ToAccount(changed));
    }

    /// <summary>The token stamp to put in a new admin token's <c>sid</c> (null while the admin never signed out).</summary>
    internal static string? TokenStamp(JsonObject document) =>
        document[TokenStampField] is JsonValue value && value.TryGetValue<string>(out var stamp) ? stamp : null;

    internal static bool IsDisabled(JsonObject document) =>
        document[DisabledField] is JsonValue value && value.TryGetValue<bool>(out var disabled) && disabled;

    /// <summary>The admin's stored token stamp, for issuing a token; null when it has none or does not exist.</summary>
    public async Task<string?> GetTokenStampAsync(string id, CancellationToken cancellationToken = default)
    {
        var document = await _store.GetAsync(SystemDocuments.AdminsCollection, id, cancellationToken);
        return document is null ? null : TokenStamp(document);
    }

    /// <summary>
    /// Checks an admin's email and password. The admin when the password is right; no admin for a wrong password and
    /// an unknown email alike; <see cref="AdminCredentialCheck.LockedOutUntil"/> while the account is locked (the
    /// password is not even compared then) and from the wrong password that locks it.
    /// </summary>
    public async Task<AdminCredentialCheck> VerifyCredentialsAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        var document = await FindDocumentAsync(AdminCredentials.NormalizeEmail(email), cancellationToken);
        if (document is null)
        {
            _hasher.VerifyHashedPassword(HashingSubject, _dummyHash.Value, password);
            return new AdminCredentialCheck(null);
        }

        if (LockedOutUntil(document) is { } lockedUntil)
        {
            // As costly as a real check, so the answer's timing says nothing about the password.
            _hasher.VerifyHashedPassword(HashingSubject, _dummyHash.Value, password);
            return new AdminCredentialCheck(null, lockedUntil);
        }

        var hash = SystemDocuments.GetString(document, PasswordHashField);
        var result = _hasher.VerifyHashedPassword(HashingSubject, hash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            var (until, lockedNow) = await CountFailureAsync(SystemDocuments.GetString(document, SystemFields.Id), cancellationToken);
            return new AdminCredentialCheck(null, until, lockedNow);
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded || document[FailedLoginsField] is not null || document[LockoutEndField] is not null)
        {
            await ResetFailuresAsync(document, result == PasswordVerificationResult.SuccessRehashNeeded ? password : null, cancellationToken);
        }

        return new AdminCredentialCheck(ToAccount(document));
    }

    // Counts a wrong password (re-reading on a lost race, so parallel guesses all count); the lockout end when it locked.
    private async Task<(DateTimeOffset? LockedUntil, bool LockedNow)> CountFailureAsync(string id, CancellationToken cancellationToken)
    {
        DateTimeOffset? lockedUntil = null;
        var lockedNow = false;
        await ChangeAsync(
            id,
            d =>
            {
                lockedUntil = LockedOutUntil(d);
                lockedNow = false;
                if (lockedUntil is not null)
                {
                    return;
                }

                var failures = (d[FailedLoginsField] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0) + 1;
                if (failures >= _lockout.MaxFailedAttempts)
                {
                    lockedUntil = _time.GetUtcNow() + _lockout.Duration;
                    lockedNow = true;
                    d[LockoutEndField] = SystemDocuments.FormatTimestamp(lockedUntil.Value);
                    d.Remove(FailedLoginsField);
                }
                else
                {
                    d[FailedLoginsField] = failures;
                    d.Remove(LockoutEndField);
                }
            },
            cancellationToken);
        return (lockedUntil, lockedNow);
    }

    private DateTimeOffset? LockedOutUntil(JsonObject document) =>
        document[LockoutEndField] is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var end)
            && end > _time.GetUtcNow()
            ? end
            : null;

    // A right password clears the count of wrong ones (and upgrades the hash when asked); losing a race only postpones it.
    private async Task ResetFailuresAsync(JsonObject document, string? rehashPassword, CancellationToken cancellationToken)
    {
        var hash = rehashPassword is null ? null : _hasher.HashPassword(HashingSubject, rehashPassword);
        try
        {
            await _store.WriteAsync(
                [SystemDocuments.Update(SystemDocuments.AdminsCollection, document, _time.GetUtcNow(), d =>
                {
                    d.Remove(FailedLoginsField);
                    d.Remove(LockoutEndField);
                    if (hash is not null)
                    {
                        d[PasswordHashField] = hash;
                    }
                })],
                cancellationToken);
        }
        catch (VersionMismatchException)
        {
        }
    }

    // Applies a change with the version check, retrying lost races; null when the admin does not exist.
    private async Task<JsonObject?> ChangeAsync(string id, Action<JsonObject> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var document = await _store.GetAsync(SystemDocuments.AdminsCollection, id, cancellationToken);
            if (document is null)
            {
                return null;
            }

            var update = SystemDocuments.Update(SystemDocuments.AdminsCollection, document, _time.GetUtcNow(), change);
            try
            {
                await _store.WriteAsync([update], cancellationToken);
                return update.Document;
            }
            catch (VersionMismatchException) when (attempt < 5)
            {
                // Changed meanwhile (a rehash, another change): apply ours to the new version.
            }
        }
    }

    private static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private async Task<JsonObject?> FindDocumentAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        if (normalizedEmail.Length == 0)
        {
            return null;
        }

        var found = await _store.QueryAsync(
            SystemDocuments.AdminsCollection, SystemDocuments.WhereEquals(EmailField, normalizedEmail), cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    private static AdminAccount ToAccount(JsonObject document) => new(
        SystemDocuments.GetString(document, SystemFields.Id),
        SystemDocuments.GetString(document, EmailField),
        SystemDocuments.GetString(document, "createdAt"),
        IsDisabled(document));
}
