using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Functions.Definitions;

/// <summary>One secret as the admin API lists it: never its value.</summary>
public sealed record FunctionSecretInfo(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Secrets functions read as <c>ctx.env</c>, in <c>_function_secrets</c> (<c>_id</c> = name), each value
/// encrypted with ASP.NET Core Data Protection (keys persist with the data, so every node and restart can
/// decrypt). Decrypted values are cached per node for <see cref="FunctionOptions.DefinitionCacheTime"/>; a
/// change on this node is visible at once.
/// </summary>
public sealed partial class FunctionSecretStore(
    IDocumentStore store,
    IDataProtectionProvider protection,
    IOptions<FunctionOptions> options,
    TimeProvider time) : IFunctionSecrets
{
    /// <summary>Largest secret value, in characters.</summary>
    public const int MaxValueLength = 32 * 1024;

    /// <summary>Most secrets one server holds.</summary>
    public const int MaxSecrets = 500;

    private const string Purpose = "Baas.Functions.Secrets.v1";
    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);
    private Cached? _cache;
    private long _generation;

    private sealed record Cached(IReadOnlyDictionary<string, string> Values, long LoadedAt);

    // \z, not $: .NET's $ also matches before a final line feed, which let "name\n" through.
    [GeneratedRegex(@"^[A-Z_][A-Z0-9_]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Throws a 400 naming <paramref name="field"/> unless the name looks like an environment variable.</summary>
    public static string ValidateName(string? name, string field = "name") =>
        name is not null && NamePattern().IsMatch(name)
            ? name
            : throw new InvalidInputException("invalid_secret_name", $"'{name}' is not a valid secret name: use 1-64 characters, an uppercase letter or '_' first, then uppercase letters, digits or '_' (like STRIPE_KEY).", field);

    public async Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        if (_cache is { } cached && time.GetElapsedTime(cached.LoadedAt) < options.Value.DefinitionCacheTime)
        {
            return cached.Values;
        }

        var generation = Interlocked.Read(ref _generation);
        var loadedAt = time.GetTimestamp();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var stored in await ReadAllAsync(cancellationToken))
        {
            var name = stored[SystemFields.Id]!.GetValue<string>();
            try
            {
                values[name] = _protector.Unprotect(stored["value"]!.GetValue<string>());
            }
            catch (CryptographicException)
            {
                // The key ring lost the key (a data dir restored without its keys): the secret must be set again.
                throw new DomainException(ErrorKind.Unavailable, "secret_unreadable", $"Secret '{name}' cannot be decrypted with this server's keys; set it again.");
            }
        }

        if (Interlocked.Read(ref _generation) == generation)
        {
            _cache = new Cached(values, loadedAt);
        }

        return values;
    }

    /// <summary>Every secret's name and dates, by name.</summary>
    public async Task<IReadOnlyList<FunctionSecretInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await ReadAllAsync(cancellationToken)).Select(s => new FunctionSecretInfo(
            s[SystemFields.Id]!.GetValue<string>(),
            DateTimeOffset.Parse(s[SystemFields.CreatedAt]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(s[SystemFields.UpdatedAt]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Creates or replaces a secret; true when it was created.</summary>
    internal async Task<bool> SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        ValidateName(name);
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            var existing = await store.GetAsync(FunctionCollections.Secrets, name, cancellationToken);
            var encrypted = _protector.Protect(value);
            try
            {
                if (existing is null)
                {
                    if ((await ReadAllAsync(cancellationToken)).Count >= MaxSecrets)
                    {
                        throw new InvalidInputException("too_many_secrets", $"A server holds at most {MaxSecrets} secrets; delete one first.", "name");
                    }

                    var stamp = Timestamps.Format(now);
                    var document = new JsonObject
                    {
                        [SystemFields.Id] = name,
                        [SystemFields.Version] = 1L,
                        [SystemFields.CreatedAt] = stamp,
                        [SystemFields.UpdatedAt] = stamp,
                        [SystemFields.CreatedBy] = null,
                        ["value"] = encrypted,
                    };
                    await store.WriteAsync([new InsertOperation(FunctionCollections.Secrets, document)], cancellationToken);
                }
                else
                {
                    var version = existing[SystemFields.Version]!.GetValue<long>();
                    var document = (JsonObject)existing.DeepClone();
                    document["value"] = encrypted;
                    document[SystemFields.Version] = version + 1;
                    document[SystemFields.UpdatedAt] = Timestamps.Format(now);
                    await store.WriteAsync([new ReplaceOperation(FunctionCollections.Secrets, document, version)], cancellationToken);
                }

                Forget();
                return existing is null;
            }
            catch (StorageException) when (attempt < attempts)
            {
                // A concurrent set or delete of the same name: read again, last writer wins.
            }
        }
    }

    /// <summary>Deletes a secret; false when there was none.</summary>
    internal async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        ValidateName(name);
        try
        {
            await store.WriteAsync([new DeleteOperation(FunctionCollections.Secrets, name)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return false;
        }
        finally
        {
            Forget();
        }

        return true;
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _cache = null;
    }

    private async Task<List<JsonObject>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var result = new List<JsonObject>();
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (true)
        {
            var page = await store.QueryAsync(FunctionCollections.Secrets, new DocumentQuery(MatchAllNode.Instance, sort, 500, after), cancellationToken);
            result.AddRange(page);
            if (page.Count < 500)
            {
                return result;
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }
    }
}
