using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Platform.Server.Auth;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Admin;

/// <summary>An admin account as the API shows it (never the password hash).</summary>
public sealed record AdminAccount(string Id, string Email, string CreatedAt, bool Disabled = false);

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
/// out replaces the stamp, which ends every token issued before (see <see cref="AdminSessionGuard"/>).
/// </summary>
public sealed class AdminAccountService
{
    internal const string EmailField = "email";
    internal const string PasswordHashField = "passwordHash";
    internal const string DisabledField = "disabled";
    internal const string TokenStampField = "tokenStamp";
    internal const int MaxListed = 1000;

    private static readonly AdminAccount HashingSubject = new(string.Empty, string.Empty, string.Empty);

    private readonly IDocumentStore _store;
    private readonly IPasswordHasher<AdminAccount> _hasher;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _dummyHash;

    private readonly AdminSessionGuard _guard;

    public AdminAccountService(IDocumentStore store, IPasswordHasher<AdminAccount> hasher, TimeProvider time, AdminSessionGuard guard)
    {
        _store = store;
        _hasher = hasher;
        _time = time;
        _guard = guard;
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

    /// <summary>The admin when the password is right; null for a wrong password and for an unknown email alike.</summary>
    public async Task<AdminAccount?> VerifyCredentialsAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        var document = await FindDocumentAsync(AdminCredentials.NormalizeEmail(email), cancellationToken);
        if (document is null)
        {
            _hasher.VerifyHashedPassword(HashingSubject, _dummyHash.Value, password);
            return null;
        }

        var hash = SystemDocuments.GetString(document, PasswordHashField);
        var result = _hasher.VerifyHashedPassword(HashingSubject, hash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await RehashAsync(document, password, cancellationToken);
        }

        return ToAccount(document);
    }

    // Upgrades an old hash format or iteration count; losing a race with another write only postpones it.
    private async Task RehashAsync(JsonObject document, string password, CancellationToken cancellationToken)
    {
        var hash = _hasher.HashPassword(HashingSubject, password);
        try
        {
            await _store.WriteAsync(
                [SystemDocuments.Update(SystemDocuments.AdminsCollection, document, _time.GetUtcNow(), d => d[PasswordHashField] = hash)],
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
