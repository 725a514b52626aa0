using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Definitions;

/// <summary>
/// Every admin write of functions goes through here (definitions, rollbacks, deletes, secrets), so that the
/// audit log can be added in one place. A save writes the new immutable version to <c>_function_versions</c>
/// and the current one to <c>_functions</c> in one atomic store write; a refused save changes nothing.
/// </summary>
public sealed class FunctionAdminService(IDocumentStore store, FunctionCatalog catalog, FunctionSecretStore secrets, TimeProvider time)
{
    private const int MaxWriteAttempts = 5;

    /// <summary>Saves a new function as version 1.</summary>
    /// <exception cref="DomainException">409 <c>function_exists</c>.</exception>
    public async Task<FunctionDefinition> CreateAsync(FunctionDefinition definition, string? actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var saved = definition with { Version = 1, UpdatedAt = Now(), UpdatedBy = actor };
        try
        {
            await store.WriteAsync(
                [
                    new InsertOperation(FunctionCollections.Functions, Current(saved)),
                    new InsertOperation(FunctionCollections.Versions, VersionDocument(saved)),
                ],
                cancellationToken);
        }
        catch (DuplicateIdException)
        {
            throw new DomainException(ErrorKind.Conflict, "function_exists", $"Function '{definition.Name}' already exists; PUT /api/admin/functions/{definition.Name} changes it.", "name");
        }

        catalog.OnChanged(saved.Name, saved);
        return saved;
    }

    /// <summary>Saves a new version of an existing function.</summary>
    /// <param name="definition">The new content.</param>
    /// <param name="expectedVersion">From <c>If-Match</c>: the version the caller changed; another current version is 412.</param>
    /// <param name="actor">Who saves it.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <exception cref="DomainException">404 <c>function_not_found</c>; 412 <c>version_mismatch</c>.</exception>
    public async Task<FunctionDefinition> UpdateAsync(FunctionDefinition definition, long? expectedVersion, string? actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await store.GetAsync(FunctionCollections.Functions, definition.Name, cancellationToken) ?? throw NotFound(definition.Name);
            var current = stored["version"]!.GetValue<int>();
            if (expectedVersion is { } expected && expected != current)
            {
                throw Mismatch(definition.Name, current);
            }

            var saved = definition with { Version = current + 1, UpdatedAt = Now(), UpdatedBy = actor };
            try
            {
                await store.WriteAsync(
                    [
                        new ReplaceOperation(FunctionCollections.Functions, Current(saved, stored), stored[SystemFields.Version]!.GetValue<long>()),
                        new InsertOperation(FunctionCollections.Versions, VersionDocument(saved)),
                    ],
                    cancellationToken);
                catalog.OnChanged(saved.Name, saved);
                return saved;
            }
            catch (StorageException) when (attempt < MaxWriteAttempts)
            {
                // Another save won the race for this version number. With If-Match the next read reports the
                // mismatch; without it, the last writer wins on a fresh read.
            }
        }
    }

    /// <summary>Saves an old version's content as a new version.</summary>
    /// <param name="name">The function.</param>
    /// <param name="version">The old version whose content becomes current again.</param>
    /// <param name="expectedVersion">From <c>If-Match</c>: the current version the caller saw; another current version is 412, as for a save.</param>
    /// <param name="actor">Who rolls back.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <exception cref="DomainException">404 <c>function_not_found</c> or <c>version_not_found</c>; 412 <c>version_mismatch</c>.</exception>
    public async Task<FunctionDefinition> RollbackAsync(string name, int version, long? expectedVersion, string? actor, CancellationToken cancellationToken = default)
    {
        if (await catalog.GetAsync(name, cancellationToken) is null)
        {
            throw NotFound(name);
        }

        var old = await catalog.GetVersionAsync(name, version, cancellationToken)
            ?? throw new DomainException(ErrorKind.NotFound, "version_not_found", $"Function '{name}' has no version {version}.", "version");
        return await UpdateAsync(old, expectedVersion, actor, cancellationToken);
    }

    /// <summary>Deletes a function and all its versions (its run records stay until retention removes them); false when there was none.</summary>
    /// <param name="name">The function.</param>
    /// <param name="expectedVersion">From <c>If-Match</c>: the current version the caller saw; another current version is 412, as for a save.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <exception cref="DomainException">412 <c>version_mismatch</c>.</exception>
    public async Task<bool> DeleteAsync(string name, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var stored = await store.GetAsync(FunctionCollections.Functions, name, cancellationToken);
            if (stored is null)
            {
                return false;
            }

            var current = stored["version"]!.GetValue<int>();
            if (expectedVersion is { } expected && expected != current)
            {
                throw Mismatch(name, current);
            }

            var versions = await catalog.ListVersionDocumentsAsync(name, cancellationToken);
            var operations = new List<WriteOperation> { new DeleteOperation(FunctionCollections.Functions, name, stored[SystemFields.Version]!.GetValue<long>()) };
            operations.AddRange(versions.Select(v => new DeleteOperation(FunctionCollections.Versions, v[SystemFields.Id]!.GetValue<string>())));
            try
            {
                await store.WriteAsync(operations, cancellationToken);
                catalog.OnChanged(name, null);
                return true;
            }
            catch (VersionMismatchException) when (attempt < MaxWriteAttempts)
            {
                // Saved or deleted meanwhile: look again.
            }
        }
    }

    /// <summary>Creates or replaces a secret; true when it was created.</summary>
    public Task<bool> SetSecretAsync(string name, string value, CancellationToken cancellationToken = default) => secrets.SetAsync(name, value, cancellationToken);

    /// <summary>Deletes a secret; false when there was none.</summary>
    public Task<bool> DeleteSecretAsync(string name, CancellationToken cancellationToken = default) => secrets.DeleteAsync(name, cancellationToken);

    internal static DomainException NotFound(string name) => new(ErrorKind.NotFound, "function_not_found", $"Function '{name}' does not exist.", "name");

    private static DomainException Mismatch(string name, int current) =>
        new(ErrorKind.PreconditionFailed, "version_mismatch", $"Function '{name}' is at version {current}; the If-Match precondition did not hold.")
        {
            Extensions = new Dictionary<string, object?> { ["currentVersion"] = current },
        };

    private DateTimeOffset Now()
    {
        // Stored timestamps keep milliseconds; trim now so that what a save answers equals what a read returns.
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static JsonObject Current(FunctionDefinition saved, JsonObject? previous = null)
    {
        var json = FunctionDefinitionJson.ToJson(saved);
        json.Remove("name");
        var stamp = Timestamps.Format(saved.UpdatedAt);
        var document = new JsonObject
        {
            [SystemFields.Id] = saved.Name,
            [SystemFields.Version] = previous is null ? 1L : previous[SystemFields.Version]!.GetValue<long>() + 1,
            [SystemFields.CreatedAt] = previous?[SystemFields.CreatedAt]?.GetValue<string>() ?? stamp,
            [SystemFields.UpdatedAt] = stamp,
            [SystemFields.CreatedBy] = null,
        };
        foreach (var (key, value) in json)
        {
            document[key] = value?.DeepClone();
        }

        return document;
    }

    private static JsonObject VersionDocument(FunctionDefinition saved)
    {
        var json = FunctionDefinitionJson.ToJson(saved);
        var stamp = Timestamps.Format(saved.UpdatedAt);
        var document = new JsonObject
        {
            [SystemFields.Id] = FunctionCollections.VersionId(saved.Name, saved.Version),
            [SystemFields.Version] = 1L,
            [SystemFields.CreatedAt] = stamp,
            [SystemFields.UpdatedAt] = stamp,
            [SystemFields.CreatedBy] = null,
        };
        foreach (var (key, value) in json)
        {
            document[key] = value?.DeepClone();
        }

        return document;
    }
}
