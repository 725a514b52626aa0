using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The write and read concerns every MongoDB operation of the store uses, from <see cref="MongoStorageOptions"/>.
/// Set on the database (so every collection, index build and collection creation inherits them) and on the batch
/// transaction; commands run with <c>RunCommand</c> (<c>collMod</c>) carry the write concern themselves. Pure, so the
/// settings are inspected in unit tests.
/// </summary>
internal static class MongoDurability
{
    /// <summary>The write concern: <c>w</c>, <c>j</c> and <c>wtimeout</c> from the options.</summary>
    public static WriteConcern WriteConcernOf(MongoStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        WriteConcern.WValue w = options.IsMajority
            ? WriteConcern.WMode.Majority
            : new WriteConcern.WCount(options.Members ?? throw new ArgumentException("Baas:Storage:Mongo:WriteConcern is not valid.", nameof(options)));
        return new WriteConcern(
            w,
            wTimeout: options.WriteConcernTimeout > TimeSpan.Zero ? options.WriteConcernTimeout : null,
            journal: options.Journal);
    }

    /// <summary>
    /// Reads outside transactions: <c>majority</c> when writes are majority (a read never returns what a failover could
    /// roll back, and still sees every acknowledged write: the primary acknowledges a majority write only once its
    /// majority snapshot holds it), else <c>local</c>.
    /// </summary>
    public static ReadConcern ReadConcernOf(MongoStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.IsMajority ? MongoDB.Driver.ReadConcern.Majority : MongoDB.Driver.ReadConcern.Local;
    }

    /// <summary>The database settings: the write and read concerns, reads from the primary.</summary>
    public static MongoDatabaseSettings DatabaseSettings(MongoStorageOptions options) => new()
    {
        WriteConcern = WriteConcernOf(options),
        ReadConcern = ReadConcernOf(options),
        ReadPreference = ReadPreference.Primary,
    };

    /// <summary>
    /// A batch's transaction: commits with the configured write concern. Its reads only explain a failed conditional
    /// write, and a transaction reads one snapshot whatever the level; <c>local</c> starts it at the newest data, so a
    /// collection or index created just before is already visible (the majority snapshot may still predate it and fail
    /// the transaction with SnapshotUnavailable). Committed with <c>majority</c>, what it read is majority-committed too.
    /// </summary>
    public static TransactionOptions Transaction(MongoStorageOptions options) =>
        new(MongoDB.Driver.ReadConcern.Local, ReadPreference.Primary, WriteConcernOf(options));

    /// <summary>Adds the write concern to a command run with <c>RunCommand</c>, which does not add the database's own.</summary>
    public static BsonDocument WithWriteConcern(BsonDocument command, WriteConcern writeConcern)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(writeConcern);
        command["writeConcern"] = writeConcern.ToBsonDocument();
        return command;
    }
}
