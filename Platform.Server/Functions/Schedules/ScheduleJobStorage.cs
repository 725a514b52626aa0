using Hangfire;
using Hangfire.Mongo;
using Hangfire.Mongo.Migration.Strategies;
using Hangfire.Mongo.Migration.Strategies.Backup;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Creates this server's Hangfire <see cref="JobStorage"/> for the configured store (DESIGN.md sections 2 and 9). One
/// instance per server (a DI singleton), never <c>JobStorage.Current</c>: several servers in one process (tests) each
/// keep their own.
/// </summary>
public static class ScheduleJobStorage
{
    public static JobStorage Create(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var schedules = services.GetRequiredService<IOptions<ScheduleOptions>>().Value;
        return storage.Provider switch
        {
            StorageProvider.Mongo => CreateMongo(storage, schedules),
            _ => CreateSqlite(services.GetRequiredService<IOptions<BaasOptions>>().Value, schedules),
        };
    }

    private static SQLiteStorage CreateSqlite(BaasOptions baas, ScheduleOptions schedules)
    {
        // Its own file: Hangfire's polling and locks never hold up document writes in baas.db, and delayed jobs
        // (retries) survive a restart.
        var dataDir = baas.DataDirFullPath;
        Directory.CreateDirectory(dataDir);
        return new SQLiteStorage(Path.Combine(dataDir, schedules.SqliteFileName), new SQLiteStorageOptions
        {
            QueuePollInterval = schedules.PollInterval,
        });
    }

    /// <summary>
    /// The job storage's client settings: the connection string's, with the documents' durability
    /// (<c>Baas:Storage:Mongo:*</c>, docs/storage.md, "Durability"): with the default <c>majority</c> a job's state
    /// acknowledged on one node survives a failover, so a due run is neither lost nor run twice after an election, and
    /// the <c>wtimeout</c> bounds how long a Hangfire worker waits for a lagging member (a fixed <c>majority</c> without it
    /// waited without bound, and ignored a configured <c>WriteConcern</c> or <c>Journal</c>).
    /// </summary>
    internal static MongoClientSettings MongoClientSettingsFor(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var settings = MongoClientSettings.FromConnectionString(storage.ConnectionString);
        settings.ApplicationName ??= "baas-jobs";
        settings.WriteConcern = MongoDurability.WriteConcernOf(storage.Mongo);
        settings.ReadConcern = MongoDurability.ReadConcernOf(storage.Mongo);
        settings.ReadPreference = ReadPreference.Primary;
        return settings;
    }

    private static MongoStorage CreateMongo(StorageOptions storage, ScheduleOptions schedules)
    {
        return new MongoStorage(new MongoClient(MongoClientSettingsFor(storage)), storage.Database, new Hangfire.Mongo.MongoStorageOptions
        {
            // Hangfire's collections live in the data's database under their own prefix.
            Prefix = schedules.MongoPrefix,

            // Fail the start-up when the database cannot be reached, rather than at the first due run.
            CheckConnection = true,

            // Every node sees new jobs through a capped collection it tails (no change-stream cursor per node on top of
            // the change feed's); it still polls every PollInterval as a fallback.
            CheckQueuedJobsStrategy = CheckQueuedJobsStrategy.TailNotificationsCollection,
            QueuePollInterval = schedules.PollInterval,

            // A new Hangfire.Mongo version migrates the schema in place once (under its migration lock, so several nodes
            // starting together migrate once), after copying every Hangfire collection to a backup collection.
            MigrationOptions = new MongoMigrationOptions
            {
                MigrationStrategy = new MigrateMongoMigrationStrategy(),
                BackupStrategy = new CollectionMongoBackupStrategy(),
            },
        });
    }
}
