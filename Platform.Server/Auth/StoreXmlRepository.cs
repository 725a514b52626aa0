using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Auth;

/// <summary>
/// The Data Protection key ring in the store (<c>_dataprotection_keys</c>, one document per element), so every node
/// sharing the store uses the same keys (issue 12 item 8). Each element's XML is encrypted at rest with AES-256-GCM under
/// <see cref="DataProtectionKeyOptions.Key"/>, bound to the document id; the store never sees a key in clear.
/// </summary>
/// <remarks>
/// <see cref="IXmlRepository"/> is synchronous: Data Protection reads the ring at its first use and then about once a
/// day or when it meets an unknown key, and writes it once per new key (every 90 days), so blocking on the store here
/// is rare and short.
/// </remarks>
internal sealed class StoreXmlRepository(IDocumentStore store, IOptions<DataProtectionKeyOptions> options, TimeProvider time) : IXmlRepository
{
    public const string Collection = "_dataprotection_keys";
    private const string XmlField = "xml";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int PageSize = 500;

    private readonly byte[] _key = options.Value.KeyMaterial()
        ?? throw new InvalidOperationException("Baas:DataProtection:Key is required for the key ring in the store.");

    public IReadOnlyCollection<XElement> GetAllElements() => GetAllElementsAsync(CancellationToken.None).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) =>
        StoreElementAsync(element, friendlyName, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Every stored element, decrypted; throws <see cref="CryptographicException"/> when one does not decrypt under the key.</summary>
    public async Task<IReadOnlyCollection<XElement>> GetAllElementsAsync(CancellationToken cancellationToken)
    {
        var elements = new List<XElement>();
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (true)
        {
            var page = await store.QueryAsync(Collection, new DocumentQuery(MatchAllNode.Instance, sort, PageSize, after), cancellationToken).ConfigureAwait(false);
            foreach (var document in page)
            {
                var id = document[SystemFields.Id]!.GetValue<string>();
                elements.Add(XElement.Parse(Decrypt(_key, id, document[XmlField]!.GetValue<string>())));
            }

            if (page.Count < PageSize)
            {
                return elements;
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }
    }

    public async Task StoreElementAsync(XElement element, string? friendlyName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(element);

        // Data Protection names a key's element "key-<guid>"; the name is unique, so two nodes never collide.
        var id = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        var now = Timestamps.Format(time.GetUtcNow());
        var document = new JsonObject
        {
            [SystemFields.Id] = id,
            [SystemFields.Version] = 1L,
            [SystemFields.CreatedAt] = now,
            [SystemFields.UpdatedAt] = now,
            [SystemFields.CreatedBy] = null,
            [XmlField] = Encrypt(_key, id, element.ToString(SaveOptions.DisableFormatting)),
        };
        await store.WriteAsync([new InsertOperation(Collection, document)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>AES-256-GCM of <paramref name="plaintext"/>, the id as associated data: base64 of nonce, ciphertext, tag.</summary>
    internal static string Encrypt(byte[] key, string id, string plaintext)
    {
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceBytes + clear.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, clear, sealedBytes.AsSpan(NonceBytes, clear.Length), sealedBytes.AsSpan(NonceBytes + clear.Length), Encoding.UTF8.GetBytes(id));
        return Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The inverse of <see cref="Encrypt"/>; <see cref="CryptographicException"/> for another key, id or altered bytes.</summary>
    internal static string Decrypt(byte[] key, string id, string sealedText)
    {
        var sealedBytes = Convert.FromBase64String(sealedText);
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("A stored Data Protection key is too short to be one.");
        }

        var length = sealedBytes.Length - NonceBytes - TagBytes;
        var clear = new byte[length];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, length), sealedBytes.AsSpan(NonceBytes + length), clear, Encoding.UTF8.GetBytes(id));
        return Encoding.UTF8.GetString(clear);
    }
}

/// <summary>
/// Creates the key-ring collection and checks, before the server takes requests, that the configured key decrypts
/// what is stored: a node started with another key stops with one line instead of failing every protected read later.
/// </summary>
internal sealed class StoreXmlRepositoryInitializer(IDocumentStore store, StoreXmlRepository repository) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await store.CreateCollectionAsync(StoreXmlRepository.Collection, cancellationToken);
        try
        {
            await repository.GetAllElementsAsync(cancellationToken);
        }
        catch (CryptographicException ex)
        {
            throw new StorageStartupException(
                $"Baas:DataProtection:Key does not decrypt the Data Protection keys stored in {StoreXmlRepository.Collection}: " +
                "every node sharing the store needs the same key (docs/deployment.md, 'Several nodes').",
                ex);
        }
    }
}
