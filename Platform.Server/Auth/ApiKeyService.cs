using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Auth;

/// <summary>A service key as listed (never the key itself).</summary>
public sealed record ApiKeyInfo(string Id, string Name, string Prefix, string CreatedAt, string? LastUsedAt);

/// <summary>A service key right after creation: the only time <see cref="Key"/> is known.</summary>
public sealed record CreatedApiKey(string Id, string Name, string Key, string Prefix, string CreatedAt);

/// <summary>The key a request authenticated with.</summary>
public sealed record ApiKeyIdentity(string Id, string Name);

/// <summary>
/// Service keys in <c>_apikeys</c>: <c>{ name, prefix, keyHash, createdAt, lastUsedAt? }</c>. Keys are 256 random
/// bits, so an unsalted SHA-256 is as strong as a slow hash here and keeps the per-request lookup cheap.
/// Verified keys are cached per node for <see cref="AuthOptions.ApiKeyCacheDuration"/>; revoking evicts at once
/// and tells <see cref="SessionEndings"/>' listeners, so the realtime connections opened with the key close too.
/// </summary>
public sealed class ApiKeyService(
    IDocumentStore store,
    IMemoryCache cache,
    IOptions<AuthOptions> options,
    TimeProvider time,
    SessionEndings endings,
    ILogger<ApiKeyService> logger)
{
    public const string KeyPrefix = "baas_sk_";
    public const int MaxNameLength = 100;
    internal const string HashField = "keyHash";
    internal const int MaxListed = 1000;

    // 32 random bytes in unpadded base64url.
    private const int SecretLength = 43;
    private const int DisplayPrefixLength = 12;

    // Stamping lastUsedAt on every request would turn reads into writes; once a minute per node is plenty.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private readonly AuthAnswerCache _answers = new(cache, () => options.Value.ApiKeyCacheDuration);

    /// <summary>Null when <paramref name="name"/> is acceptable, else the reason.</summary>
    public static string? ValidateName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return "The name is required.";
        }

        if (trimmed.Length > MaxNameLength)
        {
            return $"The name must be at most {MaxNameLength} characters.";
        }

        // The name is shown in the dashboard's key list and written as the actor of audit entries and function versions
        // ("apikey:<name>"): a control character breaks those lines, an invisible format character (a bidi override, a
        // zero-width space) makes one key's name look like another's.
        foreach (var rune in trimmed.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.Format)
            {
                return $"The name must not contain control or invisible format characters (found U+{rune.Value:X4}).";
            }
        }

        return null;
    }

    public static string GenerateKey() => KeyPrefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>The stored form of a key: lower-case hex SHA-256 of its UTF-8 bytes.</summary>
    public static string HashKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>True when <paramref name="key"/> has the shape of a service key (checked before any lookup).</summary>
    public static bool HasKeyShape(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeyPrefix.Length + SecretLength || !key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in key.AsSpan(KeyPrefix.Length))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    public async Task<CreatedApiKey> CreateAsync(string name, string? createdBy, CancellationToken cancellationToken = default)
    {
        var problem = ValidateName(name);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        name = name.Trim();
        var key = GenerateKey();
        var prefix = key[..DisplayPrefixLength];
        var now = time.GetUtcNow();
        var document = SystemDocuments.Create(
            SystemDocuments.NewId(),
            now,
            createdBy,
            ("name", name),
            ("prefix", prefix),
            (HashField, HashKey(key)),
            ("createdAt", SystemDocuments.FormatTimestamp(now)));
        await store.WriteAsync([new InsertOperation(SystemDocuments.ApiKeysCollection, document)], cancellationToken);
        var id = SystemDocuments.GetString(document, SystemFields.Id);
        AuthLog.ApiKeyCreated(logger, id, name, createdBy);
        return new CreatedApiKey(id, name, key, prefix, SystemDocuments.GetString(document, "createdAt"));
    }

    /// <summary>All keys in creation order (at most <see cref="MaxListed"/>).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var documents = await store.QueryAsync(
            SystemDocuments.ApiKeysCollection,
            new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.CreatedAt), new SortField(SystemFields.Id)], MaxListed),
            cancellationToken);
        return [.. documents.Select(ToInfo)];
    }

    /// <summary>Deletes the key; false when there is none with this id. Effective at once on this node.</summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var document = await store.GetAsync(SystemDocuments.ApiKeysCollection, id, cancellationToken);
        if (document is null)
        {
            return false;
        }

        try
        {
            await store.WriteAsync([new DeleteOperation(SystemDocuments.ApiKeysCollection, id)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return false;
        }

        Evict(SystemDocuments.GetString(document, HashField));
        var name = SystemDocuments.GetString(document, "name");
        AuthLog.ApiKeyRevoked(logger, id, name);

        // A key bypasses rules, so a realtime connection opened with it sees every change: it must not outlive the key.
        endings.Publish(new SessionEnded(BaasCallerKind.ServiceKey, id, SessionId: null));
        return true;
    }

    /// <summary>The key's identity when <paramref name="presentedKey"/> is a live service key, else null.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presentedKey);
        if (!HasKeyShape(presentedKey))
        {
            AuthLog.ApiKeyRejected(logger, "not a service key");
            return null;
        }

        var hash = HashKey(presentedKey);
        var cacheKey = new CacheKey(hash);
        if (!_answers.TryGet(cacheKey, out CachedKey? entry))
        {
            var generation = _answers.Generation;
            var documents = await store.QueryAsync(
                SystemDocuments.ApiKeysCollection, SystemDocuments.WhereEquals(HashField, hash), cancellationToken);
            var document = documents.Count == 1 ? documents[0] : null;
            // The lookup is by hash, so timing reveals nothing about the key itself; the final check is
            // still constant-time so no comparison in this path leaks how much of a hash matched.
            if (document is null || !FixedTimeEqualsHex(SystemDocuments.GetString(document, HashField), hash))
            {
                AuthLog.ApiKeyRejected(logger, "unknown or revoked key");
                return null;
            }

            entry = new CachedKey(
                SystemDocuments.GetString(document, SystemFields.Id),
                SystemDocuments.GetString(document, "name"),
                ParseTimestamp(document["lastUsedAt"]?.GetValue<string>()));
            _answers.Remember(cacheKey, entry, generation);
        }

        if (entry.LastUsedAt is not { } lastUsed || time.GetUtcNow() - lastUsed >= LastUsedResolution)
        {
            var generation = _answers.Generation;
            if (!await TouchAsync(entry.Id, cancellationToken))
            {
                // Revoked on another node since we cached it.
                Evict(hash);
                return null;
            }

            _answers.Remember(cacheKey, entry with { LastUsedAt = time.GetUtcNow() }, generation);
        }

        return new ApiKeyIdentity(entry.Id, entry.Name);
    }

    private async Task<bool> TouchAsync(string id, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(SystemDocuments.ApiKeysCollection, id, cancellationToken);
        if (document is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        try
        {
            await store.WriteAsync(
                [SystemDocuments.Update(SystemDocuments.ApiKeysCollection, document, now, d => d["lastUsedAt"] = SystemDocuments.FormatTimestamp(now))],
                cancellationToken);
            return true;
        }
        catch (VersionMismatchException ex)
        {
            // A concurrent request stamped it first (still there), or it was just revoked (gone).
            return ex.ActualVersion is not null;
        }
    }

    // A lookup that started before a revocation on this node must not re-cache the revoked key (AuthAnswerCache).
    private void Evict(string hash) => _answers.Forget(new CacheKey(hash));

    private static bool FixedTimeEqualsHex(string stored, string computed) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(computed));

    private static DateTimeOffset? ParseTimestamp(string? value) =>
        value is null ? null : DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

    private static ApiKeyInfo ToInfo(JsonObject document) => new(
        SystemDocuments.GetString(document, SystemFields.Id),
        SystemDocuments.GetString(document, "name"),
        SystemDocuments.GetString(document, "prefix"),
        SystemDocuments.GetString(document, "createdAt"),
        document["lastUsedAt"]?.GetValue<string>());

    private sealed record CachedKey(string Id, string Name, DateTimeOffset? LastUsedAt);

    // A private type, so entries never collide with other users of the shared IMemoryCache.
    private readonly record struct CacheKey(string Hash);
}
