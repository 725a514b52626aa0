using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Auth;

/// <summary>
/// Creates the auth system collections and loads the token signing key from <c>_keys</c>, generating
/// it on first start. The key has a fixed id, so when several nodes start together exactly one insert
/// wins and the others read the winner's key back: every node signs and validates with the same key.
/// </summary>
/// <remarks>
/// HMAC-SHA256 rather than ECDSA: the only party that ever validates these tokens is the server itself
/// (every node holds the key anyway), so asymmetric keys would add cost and no protection. A 256-bit
/// random key matches the hash size. Should third parties need to verify tokens later, an ECDSA key can
/// be added under a new id and selected by <c>kid</c>.
/// </remarks>
internal sealed class SigningKeyInitializer(
    IDocumentStore store,
    SigningKeyProvider keys,
    TimeProvider time,
    ILogger<SigningKeyInitializer> logger) : IStartupTask
{
    internal const string SigningKeyId = "jwt-signing-key";
    private const string Algorithm = SecurityAlgorithms.HmacSha256;

    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await store.CreateCollectionAsync(SystemDocuments.KeysCollection, cancellationToken);
        await store.CreateCollectionAsync(SystemDocuments.ApiKeysCollection, cancellationToken);
        await store.ApplyIndexesAsync(
            SystemDocuments.ApiKeysCollection,
            [new IndexDefinition([new SortField(ApiKeyService.HashField)], Unique: true)],
            cancellationToken);

        var document = await store.GetAsync(SystemDocuments.KeysCollection, SigningKeyId, cancellationToken)
            ?? await CreateAsync(cancellationToken);
        keys.Set(ToKey(document));
    }

    private async Task<JsonObject> CreateAsync(CancellationToken cancellationToken)
    {
        var document = SystemDocuments.Create(
            SigningKeyId,
            time.GetUtcNow(),
            createdBy: null,
            ("alg", Algorithm),
            ("kid", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))),
            ("key", Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32))));
        try
        {
            await store.WriteAsync([new InsertOperation(SystemDocuments.KeysCollection, document)], cancellationToken);
            AuthLog.SigningKeyCreated(logger);
            return document;
        }
        catch (DuplicateIdException)
        {
            // Another node created it between our read and our insert; use theirs.
            return await store.GetAsync(SystemDocuments.KeysCollection, SigningKeyId, cancellationToken)
                ?? throw new InvalidOperationException("The signing key vanished right after another node created it.");
        }
    }

    private static SymmetricSecurityKey ToKey(JsonObject document)
    {
        var alg = SystemDocuments.GetString(document, "alg");
        if (alg != Algorithm)
        {
            throw new InvalidOperationException($"The stored signing key uses '{alg}'; this server supports only {Algorithm}.");
        }

        var bytes = Base64UrlEncoder.DecodeBytes(SystemDocuments.GetString(document, "key"));
        if (bytes.Length < 32)
        {
            throw new InvalidOperationException("The stored signing key is shorter than 256 bits.");
        }

        return new SymmetricSecurityKey(bytes) { KeyId = SystemDocuments.GetString(document, "kid") };
    }
}
