using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The MongoDB provider: one MongoDB collection per Baas collection (same name), documents stored
/// with their string <c>_id</c>. Needs a replica set or a sharded cluster, for multi-document
/// transactions (batches) and change streams (realtime), and MongoDB 6.0 or later for change-stream
/// pre-images, which it turns on for every user collection (<c>changeStreamPreAndPostImages</c>) so the
/// change feed (<see cref="MongoChangeFeed"/>) knows each replaced or deleted document's previous state.
/// All translation to BSON lives in the pure <c>Mongo*Translator</c> classes; this class only talks to the driver.
/// </summary>
public sealed class MongoDocumentStore : IDocumentStore, IDisposable
{
    private const int NamespaceNotFound = 26;
    private const int IndexNotFound = 27;
    private const int NamespaceExists = 48;
    private const int IndexOptionsConflict = 85;
    private const int IndexKeySpecsConflict = 86;
    private const int DuplicateKeyCode = 11000;
    private const int MaxTimeMSExpired = 50;

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private readonly MongoClient client;
    private readonly IMongoDatabase database;
    private readonly WriteConcern writeConcern;
    private readonly TransactionOptions batchTransaction;

    // User collections known to exist with change-stream pre-images (EnsurePreImagesAsync).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> preImagesVerified = new(StringComparer.Ordinal);
    private readonly ILogger<MongoDocumentStore> logger;
    private int disposed;

    public MongoDocumentStore(IOptions<StorageOptions> storage, ILogger<MongoDocumentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(logger);
        var options = storage.Value;
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException("Baas:Storage:ConnectionString is required for the Mongo provider.");
        }

        var settings = MongoClientSettings.FromConnectionString(options.ConnectionString);
        settings.ApplicationName ??= "baas";

        // One client for the process: it owns the connection pools and is thread-safe.
        client = new MongoClient(settings);
        // Every write (single or batch), collection and index management: the configured write concern, majority by
        // default, so an acknowledged write survives a failover and reaches the change stream (issue 12).
        database = client.GetDatabase(options.Database, MongoDurability.DatabaseSettings(options.Mongo));
        writeConcern = MongoDurability.WriteConcernOf(options.Mongo);
        batchTransaction = MongoDurability.Transaction(options.Mongo);
        this.logger = logger;
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        // Only commands any database user may run: no listDatabases, no admin database.
        var hello = await RunAsync(
            async ct =>
            {
                await database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: ct).ConfigureAwait(false);
                return await database.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);

        var topology = Topology(hello);
        if (topology is null)
        {
            throw new InvalidOperationException(
                "MongoDB answers as a standalone server. Baas needs a replica set (a single-member one is fine) or a sharded cluster: " +
                "batches use multi-document transactions and realtime uses change streams.");
        }

        if (!MongoChangeStream.SupportsPreImages(hello))
        {
            throw new InvalidOperationException(
                "MongoDB answers with a version older than 6.0. Baas needs 6.0 or later: realtime reads the previous state of " +
                "replaced and deleted documents from change-stream pre-images.");
        }

        // buildInfo needs no privilege; 6.0.9 and 6.0.0 share a wire version, so the release decides.
        var buildInfo = await RunAsync(
            ct => database.RunCommandAsync<BsonDocument>(new BsonDocument("buildInfo", 1), cancellationToken: ct),
            cancellationToken).ConfigureAwait(false);
        SplitsLargeEvents = MongoChangeStream.SupportsSplitLargeEvents(buildInfo);

        await CheckPrivilegesAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync(ct => EnablePreImagesAsync(ct), cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (MongoPrivileges.IsUnauthorized(ex))
        {
            throw new StorageStartupException(MongoPrivileges.DescribeUnauthorized(ex, database.DatabaseNamespace.DatabaseName), ex);
        }

        MongoDocumentStoreLog.Ready(logger, database.DatabaseNamespace.DatabaseName, topology);
    }

    /// <summary>
    /// Whether the server has <c>$changeStreamSplitLargeEvent</c> (MongoDB 7.0, 6.0.9), known once
    /// <see cref="InitializeAsync"/> has run: the change feed then asks for events over 16 MiB in fragments.
    /// </summary>
    internal bool SplitsLargeEvents { get; private set; }

    /// <summary>The database, for the change feed, which watches it as a whole.</summary>
    internal IMongoDatabase Database => database;

    /// <summary>The write concern of every write (<see cref="MongoDurability"/>), for tests to inspect.</summary>
    internal WriteConcern WriteConcern => writeConcern;

    /// <summary>The transaction options of a batch, for tests to inspect.</summary>
    internal TransactionOptions BatchTransaction => batchTransaction;

    /// <summary>
    /// Fails start-up with one line naming every action the user lacks on the database (issue 12 item 6), instead of
    /// letting the first collMod, index build or change stream fail at run time.
    /// </summary>
    private async Task CheckPrivilegesAsync(CancellationToken cancellationToken)
    {
        var status = await RunAsync(
            ct => database.RunCommandAsync<BsonDocument>(MongoPrivileges.ConnectionStatusCommand(), cancellationToken: ct),
            cancellationToken).ConfigureAwait(false);
        var name = database.DatabaseNamespace.DatabaseName;
        var missing = MongoPrivileges.Missing(status, name);
        if (missing.Count > 0)
        {
            throw new StorageStartupException(MongoPrivileges.Describe(missing, name, MongoPrivileges.User(status)));
        }
    }

    /// <summary>Turns pre-images on for user collections that exist without them (created before, or by another tool).</summary>
    private async Task<bool> EnablePreImagesAsync(CancellationToken cancellationToken)
    {
        // Full listCollections, not nameOnly: the filter looks at the options.
        var options = new ListCollectionsOptions { Filter = MongoChangeStream.CollectionsWithoutPreImagesFilter() };
        using var cursor = await database.ListCollectionsAsync(options, cancellationToken).ConfigureAwait(false);
        foreach (var name in (await cursor.ToListAsync(cancellationToken).ConfigureAwait(false)).Select(c => c["name"].AsString))
        {
            await database.RunCommandAsync<BsonDocument>(MongoDurability.WithWriteConcern(MongoChangeStream.EnablePreImagesCommand(name), writeConcern), cancellationToken: cancellationToken).ConfigureAwait(false);
            MongoDocumentStoreLog.PreImagesEnabled(logger, name);
        }

        return true;
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            MongoDocumentStoreLog.PingFailed(logger, null);
            return false;
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            MongoDocumentStoreLog.PingFailed(logger, ex);
            return false;
        }
    }

    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        return RunAsync(
            async ct =>
            {
                var preImages = MongoChangeStream.NeedsPreImages(collection);
                var options = MongoChangeStream.CreateCollectionOptions(collection);
                try
                {
                    await database.CreateCollectionAsync(collection, options, ct).ConfigureAwait(false);
                }
                catch (MongoCommandException ex) when (ex.Code == NamespaceExists)
                {
                    // Idempotent by contract; another node may also have just created it, or a first write created it
                    // implicitly, without pre-images: make sure they are on (collMod is idempotent too).
                    if (preImages)
                    {
                        await database.RunCommandAsync<BsonDocument>(MongoDurability.WithWriteConcern(MongoChangeStream.EnablePreImagesCommand(collection), writeConcern), cancellationToken: ct).ConfigureAwait(false);
                    }
                }

                preImagesVerified.TryAdd(collection, 0);
                return true;
            },
            cancellationToken);
    }

    /// <summary>
    /// Makes sure a user collection exists with pre-images before an insert could create it implicitly without them
    /// (issue 12 item 5): MongoDB creates a missing collection on the first insert, with default options, and its
    /// deletes and replaces would then reach the feed without a previous state, so <c>removed</c> and leave events
    /// would degrade silently. Checked once per collection and process (dropping it here forgets that); only inserts
    /// create collections (replaces and deletes never upsert).
    /// </summary>
    private async Task EnsurePreImagesAsync(string collection, CancellationToken cancellationToken)
    {
        if (!MongoChangeStream.NeedsPreImages(collection) || preImagesVerified.ContainsKey(collection))
        {
            return;
        }

        using var cursor = await database.ListCollectionsAsync(
            new ListCollectionsOptions { Filter = MongoChangeStream.CollectionInfoFilter(collection) },
            cancellationToken).ConfigureAwait(false);
        var info = await cursor.FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        switch (MongoChangeStream.PreImagesOf(info))
        {
            case PreImagesState.Missing:
                // CreateCollectionAsync creates it with pre-images (or repairs it when another writer was first).
                await CreateCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
                break;
            case PreImagesState.Off:
                await database.RunCommandAsync<BsonDocument>(MongoDurability.WithWriteConcern(MongoChangeStream.EnablePreImagesCommand(collection), writeConcern), cancellationToken: cancellationToken).ConfigureAwait(false);
                MongoDocumentStoreLog.PreImagesEnabled(logger, collection);
                break;
        }

        preImagesVerified.TryAdd(collection, 0);
    }

    /// <summary>
    /// Forgets every collection known to have pre-images and turns them on wherever they are off: for a
    /// <see cref="MongoCollectionWatcher"/> that (re)opens without knowing what it missed.
    /// </summary>
    internal Task RecheckAllPreImagesAsync(CancellationToken cancellationToken = default)
    {
        preImagesVerified.Clear();
        return RunAsync(ct => EnablePreImagesAsync(ct), cancellationToken);
    }

    /// <summary>Whether this node takes <paramref name="collection"/> to have pre-images (no check before its next insert).</summary>
    internal bool IsPreImagesVerified(string collection) => preImagesVerified.ContainsKey(collection);

    /// <summary>
    /// Applies a collection event of any node (<see cref="MongoCollectionWatcher"/>): forgets what it invalidates, so the
    /// next insert checks again (and creates a dropped collection with pre-images instead of letting the insert create it
    /// without), and turns pre-images on for a collection that was just created or modified without them (for
    /// instance implicitly, by a write of another node that raced a drop). Never creates a collection.
    /// </summary>
    internal async Task ApplyCollectionEventAsync(CollectionEventEffect effect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(effect);
        if (effect.ForgetAll)
        {
            preImagesVerified.Clear();
        }

        foreach (var collection in effect.Forget)
        {
            preImagesVerified.TryRemove(collection, out _);
        }

        foreach (var collection in effect.Check)
        {
            await RunAsync(
                async ct =>
                {
                    using var cursor = await database.ListCollectionsAsync(
                        new ListCollectionsOptions { Filter = MongoChangeStream.CollectionInfoFilter(collection) },
                        ct).ConfigureAwait(false);
                    if (MongoChangeStream.PreImagesOf(await cursor.FirstOrDefaultAsync(ct).ConfigureAwait(false)) == PreImagesState.Off)
                    {
                        await database.RunCommandAsync<BsonDocument>(MongoDurability.WithWriteConcern(MongoChangeStream.EnablePreImagesCommand(collection), writeConcern), cancellationToken: ct).ConfigureAwait(false);
                        MongoDocumentStoreLog.PreImagesRepaired(logger, collection);
                    }

                    return true;
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        return RunAsync(
            async ct =>
            {
                preImagesVerified.TryRemove(collection, out _);
                try
                {
                    await database.DropCollectionAsync(collection, ct).ConfigureAwait(false);
                }
                catch (MongoCommandException ex) when (ex.Code == NamespaceNotFound)
                {
                    // Dropping an absent collection is a no-op by contract.
                }

                return true;
            },
            cancellationToken);
    }

    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        ArgumentNullException.ThrowIfNull(indexes);
        var target = Collection(collection);
        return RunAsync(
            async ct =>
            {
                var existing = await ListIndexesAsync(target, ct).ConfigureAwait(false);
                var served = indexes.Select(MongoIndexTranslator.Served).ToList();
                var plan = MongoIndexTranslator.Plan(existing, served);
                var dropped = new HashSet<string>(StringComparer.Ordinal);

                // An index of an earlier version (without the trailing _id) is replaced: the new one is built under its
                // own name first, then the old one goes with the other stale ones. Only index entries change, no document.
                foreach (var (created, old) in MongoIndexTranslator.Replacements(existing, plan, indexes))
                {
                    MongoDocumentStoreLog.IndexReplaced(logger, collection, old, created);
                }

                // A stale index holding a wanted name (another definition under an old, ambiguous name) goes first.
                foreach (var name in plan.DropFirst.Where(dropped.Add))
                {
                    await DropIndexAsync(target, collection, name, ct).ConfigureAwait(false);
                }

                foreach (var (position, index) in plan.Create)
                {
                    var model = MongoIndexTranslator.ToModel(index);
                    try
                    {
                        await CreateIndexAsync(target, collection, indexes[position], position, model, ct).ConfigureAwait(false);
                    }
                    catch (MongoCommandException ex) when (ex.Code is IndexOptionsConflict or IndexKeySpecsConflict || MongoErrors.IsTooManyIndexes(ex))
                    {
                        // A stale index on the same keys with other options (ix_a becoming ux_a) may block the new one
                        // on some server versions; at the limit of 64 the stale ones must make room first. Drop them, then build.
                        var keys = MongoIndexTranslator.Keys(index);
                        var tooMany = MongoErrors.IsTooManyIndexes(ex);
                        var stale = plan.Drop.Where(name => !dropped.Contains(name) && (tooMany || MongoIndexTranslator.SameKeys(existing.First(e => e.Name == name).Keys, keys))).ToList();
                        if (stale.Count == 0)
                        {
                            if (tooMany)
                            {
                                throw MongoErrors.TooManyIndexes(collection, index.Name, position, ex);
                            }

                            throw;
                        }

                        foreach (var name in stale.Where(dropped.Add))
                        {
                            await DropIndexAsync(target, collection, name, ct).ConfigureAwait(false);
                        }

                        try
                        {
                            await CreateIndexAsync(target, collection, indexes[position], position, model, ct).ConfigureAwait(false);
                        }
                        catch (MongoCommandException again) when (MongoErrors.IsTooManyIndexes(again))
                        {
                            throw MongoErrors.TooManyIndexes(collection, index.Name, position, again);
                        }
                    }
                }

                foreach (var name in plan.Drop.Where(dropped.Add))
                {
                    await DropIndexAsync(target, collection, name, ct).ConfigureAwait(false);
                }

                return true;
            },
            cancellationToken);
    }

    public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        ArgumentNullException.ThrowIfNull(id);
        var target = Collection(collection);
        return RunAsync(
            async ct =>
            {
                var document = await ReadingAsync(collection, id, () => target.Find(MongoWriteTranslator.IdFilter(id)).Limit(1).FirstOrDefaultAsync(ct)).ConfigureAwait(false);
                return document is null ? null : ToJson(collection, document);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
        QueryAsync(collection, query, session: null, cancellationToken);

    /// <summary>
    /// Runs the query in a snapshot session (read concern <c>snapshot</c>, MongoDB 5.0+) and answers the cluster time it
    /// read at: every write committed at or before that time is in the documents, none after it (<see cref="MongoChangeFeed.QuerySnapshotAsync"/>).
    /// </summary>
    internal async Task<(IReadOnlyList<JsonObject> Documents, BsonTimestamp ClusterTime)> QueryAtSnapshotAsync(
        string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        for (var attempt = 1; ; attempt++)
        {
            IClientSessionHandle session;
            try
            {
                session = await client.StartSessionAsync(new ClientSessionOptions { Snapshot = true }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
            }

            using (session)
            {
                try
                {
                    // At least one document is asked for: the snapshot time is known only once a read has run.
                    var documents = await QueryAsync(collection, query.Limit > 0 ? query : query with { Limit = 1 }, session, cancellationToken).ConfigureAwait(false);
                    var clusterTime = session.GetSnapshotTime()
                        ?? throw new StorageUnavailableException("MongoDB answered a snapshot read without its cluster time (atClusterTime).");
                    return (query.Limit > 0 ? documents : [], clusterTime);
                }
                catch (MongoCommandException ex) when (ex.Code == MongoErrors.SnapshotUnavailable && attempt < MaxSnapshotReads)
                {
                    // The collection was just created: the next session reads at a later time.
                }
                catch (MongoCommandException ex) when (ex.Code == MongoErrors.SnapshotUnavailable)
                {
                    // Still behind a catalog change after every attempt (a collection dropped and created again and again):
                    // the store cannot answer this read now, which is a 503 like any outage, not a 500.
                    throw new StorageUnavailableException($"MongoDB could not read '{collection}' at a snapshot after {MaxSnapshotReads} attempts: {ex.ErrorMessage}", ex);
                }
            }
        }
    }

    private const int MaxSnapshotReads = 3;

    private Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, IClientSessionHandle? session, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit == 0)
        {
            // MongoDB reads a limit of 0 as "no limit".
            return Task.FromResult<IReadOnlyList<JsonObject>>([]);
        }

        var target = Collection(collection);
        var find = MongoQueryTranslator.Translate(query);
        return BudgetedAsync<IReadOnlyList<JsonObject>>(
            collection,
            query.Timeout,
            async ct =>
            {
                var cursor = (session is null ? target.Find(find.Filter, FindOptions(query.Timeout)) : target.Find(session, find.Filter, FindOptions(query.Timeout)))
                    .Limit(find.Limit);
                if (find.Projection is { } projection)
                {
                    cursor = cursor.Project<BsonDocument>(projection);
                }

                if (find.Sort.ElementCount > 0)
                {
                    cursor = cursor.Sort(find.Sort);
                }

                var documents = await ReadingAsync(collection, null, () => cursor.ToListAsync(ct)).ConfigureAwait(false);
                if (MongoQueryTranslator.ArrayProbe(collection, query, documents.Count) is { } probe)
                {
                    // Paging over a key that holds arrays would skip or repeat documents: refuse it (see KeysetArrays).
                    var probing = session is null ? target.Find(probe, FindOptions(query.Timeout)) : target.Find(session, probe, FindOptions(query.Timeout));
                    var hit = await ReadingAsync(collection, null, () => probing.Limit(1).FirstOrDefaultAsync(ct)).ConfigureAwait(false);
                    if (hit is not null)
                    {
                        var id = hit.TryGetValue(SystemFields.Id, out var value) && value.IsString ? value.AsString : null;
                        throw new SortOverArrayException(collection, MongoQueryTranslator.ArrayPathIn(hit, query.Sort) ?? query.Sort[0].Path, id);
                    }
                }

                return documents.ConvertAll(document => ToJson(collection, document));
            },
            cancellationToken);
    }

    /// <summary>A stored document as JSON; one holding a value with no JSON form is reported, not failed on.</summary>
    internal static JsonObject ToJson(string collection, BsonDocument document)
    {
        try
        {
            return BsonJson.ToJsonObject(MongoOrigin.Strip(document));
        }
        catch (UnreadableValueException ex)
        {
            var id = document.TryGetValue(SystemFields.Id, out var value) && value.IsString ? value.AsString : null;
            throw new UnreadableDocumentException(collection, id, ex.Message, ex);
        }
    }

    /// <summary>
    /// Runs a read whose documents the driver decodes: a BSON type it cannot decode (the deprecated DBPointer, or bytes
    /// another tool corrupted) becomes <see cref="UnreadableDocumentException"/> instead of an internal error.
    /// </summary>
    internal static async Task<T> ReadingAsync<T>(string collection, string? id, Func<Task<T>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or MongoDB.Bson.BsonSerializationException or MongoDB.Bson.BsonException && !IsUnavailable(ex))
        {
            throw new UnreadableDocumentException(collection, id, "the driver cannot decode it (" + ex.GetType().Name + ": " + ex.Message + ")", ex);
        }
    }

    /// <summary>
    /// The options of a query's find: sorting on a field without an index is done in memory, so large sorts may spill
    /// to disk instead of failing (the default only from MongoDB 6.0); the budget becomes the server-side
    /// <c>maxTimeMS</c>, so MongoDB itself stops the work.
    /// </summary>
    internal static FindOptions FindOptions(TimeSpan? timeout) => new() { AllowDiskUse = true, MaxTime = timeout };

    /// <summary>The options of a count: the budget becomes its <c>maxTimeMS</c>.</summary>
    internal static CountOptions CountOptions(TimeSpan? timeout) => new() { MaxTime = timeout };

    /// <summary>MongoDB's answer to an operation that ran past its <c>maxTimeMS</c> (error 50, MaxTimeMSExpired).</summary>
    internal static bool IsTimeout(Exception exception) =>
        exception is MongoExecutionTimeoutException or MongoCommandException { Code: MaxTimeMSExpired };

    public Task<long> CountAsync(string collection, FilterNode filter, CancellationToken cancellationToken = default) =>
        CountAsync(collection, filter, timeout: null, cancellationToken);

    public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        ArgumentNullException.ThrowIfNull(filter);
        var target = Collection(collection);
        var translated = MongoFilterTranslator.Translate(filter);
        return BudgetedAsync(collection, timeout, ct => target.CountDocumentsAsync(translated, CountOptions(timeout), ct), cancellationToken);
    }

    /// <summary>
    /// Runs a budgeted read. The server enforces the budget (<c>maxTimeMS</c>); a cancelled token makes the driver
    /// abandon the operation (it closes the connection, which ends the server-side work too).
    /// </summary>
    private static async Task<T> BudgetedAsync<T>(string collection, TimeSpan? timeout, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(action, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (timeout is { } limit && IsTimeout(ex))
        {
            throw new QueryTimeoutException(collection, limit, ex);
        }
    }

    public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return;
        }

        // Translate everything first, so a malformed operation fails before anything is written.
        var writes = new PreparedWrite[operations.Count];
        for (var i = 0; i < operations.Count; i++)
        {
            writes[i] = Prepare(operations[i], i);
        }

        await RunAsync(
            async ct =>
            {
                foreach (var collection in writes.Where(w => w.Operation is InsertOperation).Select(w => w.Operation.Collection).Distinct(StringComparer.Ordinal))
                {
                    await EnsurePreImagesAsync(collection, ct).ConfigureAwait(false);
                }

                using var session = await client.StartSessionAsync(options: null, ct).ConfigureAwait(false);
                if (writes.Length == 1 && writes[0].DeleteStamp is null)
                {
                    // One document is atomic on its own; a transaction would only add round trips.
                    await ApplyAsync(session, writes[0], ct).ConfigureAwait(false);
                    return true;
                }

                // WithTransactionAsync retries on TransientTransactionError and aborts on any other
                // exception, including the storage exceptions thrown here, so a batch is all or nothing.
                return await session.WithTransactionAsync(
                    async (s, token) =>
                    {
                        foreach (var write in writes)
                        {
                            await ApplyAsync(s, write, token).ConfigureAwait(false);
                        }

                        return true;
                    },
                    batchTransaction,
                    ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    // Registered as itself and forwarded as IDocumentStore, so the container may dispose it twice.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            client.Dispose();
        }
    }

    private PreparedWrite Prepare(WriteOperation operation, int opIndex)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentException.ThrowIfNullOrEmpty(operation.Collection);
        var target = Collection(operation.Collection);
        var prepared = operation switch
        {
            InsertOperation insert => new PreparedWrite(operation, opIndex, target, MongoWriteTranslator.Insert(insert), null, null),
            ReplaceOperation replace => new PreparedWrite(operation, opIndex, target, null, MongoWriteTranslator.Replace(replace), null),
            DeleteOperation delete => new PreparedWrite(operation, opIndex, target, MongoWriteTranslator.Delete(delete), null, MongoWriteTranslator.DeleteStamp(delete)),
            _ => throw new NotSupportedException($"Unknown write operation {operation.GetType().Name}."),
        };
        if ((operation is InsertOperation ? prepared.Document : prepared.Replace?.Replacement) is { } stored)
        {
            MongoWriteTranslator.CheckSize(operation, stored, opIndex);
        }

        return prepared;
    }

    private static async Task ApplyAsync(IClientSessionHandle session, PreparedWrite write, CancellationToken cancellationToken)
    {
        try
        {
            switch (write.Operation)
            {
                case InsertOperation:
                    await write.Target.InsertOneAsync(session, write.Document!, options: null, cancellationToken).ConfigureAwait(false);
                    break;
                case ReplaceOperation:
                    var replaced = await write.Target.ReplaceOneAsync(session, write.Replace!.Filter, write.Replace.Replacement, new ReplaceOptions { IsUpsert = false }, cancellationToken).ConfigureAwait(false);
                    if (replaced.MatchedCount == 0)
                    {
                        throw await VersionMismatchAsync(session, write, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case DeleteOperation:
                    if (write.DeleteStamp is not null)
                    {
                        // A function's delete: stamp its origin for the change stream's pre-image (see MongoOrigin), in
                        // the same transaction and under the same condition as the delete itself.
                        var stamped = await write.Target.UpdateOneAsync(session, write.Document!, write.DeleteStamp, options: null, cancellationToken).ConfigureAwait(false);
                        if (stamped.MatchedCount == 0)
                        {
                            throw await VersionMismatchAsync(session, write, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    var deleted = await write.Target.DeleteOneAsync(session, write.Document!, options: null, cancellationToken).ConfigureAwait(false);
                    if (deleted.DeletedCount == 0)
                    {
                        throw await VersionMismatchAsync(session, write, cancellationToken).ConfigureAwait(false);
                    }

                    break;
            }
        }
        catch (MongoWriteException ex) when (ex.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            throw MongoWriteTranslator.DuplicateKey(write.Operation, write.OpIndex, ex.WriteError.Message, ex);
        }
        catch (MongoBulkWriteException ex) when (ex.WriteErrors.Any(e => e.Category == ServerErrorCategory.DuplicateKey))
        {
            throw MongoWriteTranslator.DuplicateKey(write.Operation, write.OpIndex, ex.WriteErrors.First(e => e.Category == ServerErrorCategory.DuplicateKey).Message, ex);
        }
        catch (MongoCommandException ex) when (ex.Code == DuplicateKeyCode)
        {
            throw MongoWriteTranslator.DuplicateKey(write.Operation, write.OpIndex, ex.ErrorMessage, ex);
        }
        catch (MongoWriteException ex) when (ex.WriteError is { } error && MongoErrors.ForWrite(write.Operation, write.OpIndex, error.Code, error.Message, ex) is not null)
        {
            throw await DocumentRefusedAsync(write, error.Code, error.Message, ex, cancellationToken).ConfigureAwait(false);
        }
        catch (MongoBulkWriteException ex) when (ex.WriteErrors.FirstOrDefault(e => MongoErrors.ForWrite(write.Operation, write.OpIndex, e.Code, e.Message, ex) is not null) is { } error)
        {
            throw await DocumentRefusedAsync(write, error.Code, error.Message, ex, cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (MongoErrors.ForWrite(write.Operation, write.OpIndex, ex.Code, ex.ErrorMessage, ex) is not null)
        {
            throw await DocumentRefusedAsync(write, ex.Code, ex.ErrorMessage, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    // The document itself was refused (size, depth, two arrays under one compound index). For parallel arrays, name the
    // index: read the collection's indexes (outside the failed transaction; best effort, the error stands without it).
    private static async Task<StorageException> DocumentRefusedAsync(PreparedWrite write, int code, string? message, Exception inner, CancellationToken cancellationToken)
    {
        IReadOnlyList<MongoExistingIndex>? indexes = null;
        if (code == MongoErrors.CannotIndexParallelArrays)
        {
            try
            {
                indexes = await ListIndexesAsync(write.Target, cancellationToken).ConfigureAwait(false);
            }
            catch (MongoException)
            {
                // The answer still names the two fields.
            }
        }

        return MongoErrors.ForWrite(write.Operation, write.OpIndex, code, message, inner, indexes)!;
    }

    // The conditional write matched nothing: read what is there to say why. Inside a batch this
    // read belongs to the transaction; for a single write the version may have moved on since,
    // which only changes the number reported, not the outcome.
    private static async Task<VersionMismatchException> VersionMismatchAsync(IClientSessionHandle session, PreparedWrite write, CancellationToken cancellationToken)
    {
        var id = MongoWriteTranslator.GetId(write.Operation);
        var current = await write.Target.Find(session, MongoWriteTranslator.IdFilter(id))
            .Project(MongoWriteTranslator.VersionProjection())
            .Limit(1)
            .FirstOrDefaultAsync(cancellationToken)
            .ConfigureAwait(false);
        return new VersionMismatchException(write.Operation.Collection, id, MongoWriteTranslator.ReadVersion(current), write.OpIndex);
    }

    private IMongoCollection<BsonDocument> Collection(string name) => database.GetCollection<BsonDocument>(name);

    private static async Task<IReadOnlyList<MongoExistingIndex>> ListIndexesAsync(IMongoCollection<BsonDocument> target, CancellationToken cancellationToken)
    {
        try
        {
            using var cursor = await target.Indexes.ListAsync(cancellationToken).ConfigureAwait(false);
            var indexes = await cursor.ToListAsync(cancellationToken).ConfigureAwait(false);
            return indexes.ConvertAll(MongoIndexTranslator.Describe);
        }
        catch (MongoCommandException ex) when (ex.Code == NamespaceNotFound)
        {
            return [];
        }
    }

    // The index definition is the one requested (errors name it and its fields); the model is what is built.
    private async Task CreateIndexAsync(
        IMongoCollection<BsonDocument> target,
        string collection,
        IndexDefinition index,
        int position,
        CreateIndexModel<BsonDocument> model,
        CancellationToken cancellationToken)
    {
        try
        {
            await target.Indexes.CreateOneAsync(model, options: null, cancellationToken).ConfigureAwait(false);
            MongoDocumentStoreLog.IndexCreated(logger, collection, model.Options.Name ?? index.Name);
        }
        catch (MongoCommandException ex) when (ex.Code == DuplicateKeyCode)
        {
            // A failed build leaves no index behind, so nothing changed for this one.
            MongoDocumentStoreLog.UniqueIndexRejected(logger, collection, index.Name);
            throw new UniqueIndexViolationException(collection, index.Name, position, ex);
        }
        catch (MongoCommandException ex) when (ex.Code == MongoErrors.CannotIndexParallelArrays)
        {
            // Some document has arrays in two of the index's fields; the build left nothing behind.
            var fields = MongoErrors.ParallelArrayFields(ex.ErrorMessage) ?? index.Fields.Select(f => f.Path).ToList();
            throw new ParallelArraysException(collection, index.Name, fields, 0, position, ex);
        }
    }

    private async Task DropIndexAsync(IMongoCollection<BsonDocument> target, string collection, string name, CancellationToken cancellationToken)
    {
        try
        {
            await target.Indexes.DropOneAsync(name, cancellationToken).ConfigureAwait(false);
            MongoDocumentStoreLog.IndexDropped(logger, collection, name);
        }
        catch (MongoCommandException ex) when (ex.Code is IndexNotFound or NamespaceNotFound)
        {
            // Another node applying the same definition dropped it first.
        }
    }

    /// <summary>"replica set rs0" or "sharded cluster"; null for a standalone server.</summary>
    internal static string? Topology(BsonDocument hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.TryGetValue("setName", out var setName) && setName.IsString)
        {
            return "replica set " + setName.AsString;
        }

        return hello.TryGetValue("msg", out var msg) && msg.IsString && msg.AsString == "isdbgrid" ? "sharded cluster" : null;
    }

    /// <summary>
    /// Failures that mean "the database cannot be reached right now" (503), not a bad request. A connection pool is
    /// paused from a network error until the server is found again (a failover, a restarted member): an operation that
    /// meets it on its retry too fails with <see cref="MongoConnectionPoolPausedException"/>, an outage like the others.
    /// </summary>
    internal static bool IsUnavailable(Exception exception) => exception is
        MongoConnectionException or MongoWaitQueueFullException or MongoConnectionPoolPausedException or MongoNotPrimaryException
        or MongoNodeIsRecoveringException or MongoWriteConcernException or TimeoutException;

    private static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
        }
    }

    private sealed record PreparedWrite(
        WriteOperation Operation,
        int OpIndex,
        IMongoCollection<BsonDocument> Target,
        BsonDocument? Document,
        MongoReplace? Replace,
        BsonDocument? DeleteStamp);
}
