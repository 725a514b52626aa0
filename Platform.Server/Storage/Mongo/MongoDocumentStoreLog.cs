namespace Platform.Server.Storage.Mongo;

internal static partial class MongoDocumentStoreLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "MongoDB store ready: database {Database} on a {Topology}.")]
    public static partial void Ready(ILogger logger, string database, string topology);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "MongoDB did not answer a ping in time.")]
    public static partial void PingFailed(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Information, Message = "Created index {Index} on {Collection}.")]
    public static partial void IndexCreated(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Information, Message = "Dropped index {Index} from {Collection}.")]
    public static partial void IndexDropped(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Warning, Message = "Unique index {Index} on {Collection} was not built: existing documents have duplicate keys.")]
    public static partial void UniqueIndexRejected(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 2209, Level = LogLevel.Information, Message = "Replacing index {OldIndex} on {Collection} by {Index}, which ends with _id so keyset pages need no in-memory sort.")]
    public static partial void IndexReplaced(ILogger logger, string collection, string oldIndex, string index);

    [LoggerMessage(EventId = 2206, Level = LogLevel.Information, Message = "Turned on change-stream pre-images for {Collection}.")]
    public static partial void PreImagesEnabled(ILogger logger, string collection);

    [LoggerMessage(EventId = 2207, Level = LogLevel.Warning, Message = "Collection {Collection} was created or modified without change-stream pre-images (by another writer, or by a write that raced a drop); turned them on.")]
    public static partial void PreImagesRepaired(ILogger logger, string collection);

    [LoggerMessage(EventId = 2208, Level = LogLevel.Warning, Message = "The collection watcher failed; it re-checks every user collection and opens again in {Delay}.")]
    public static partial void CollectionWatcherFailed(ILogger logger, Exception exception, TimeSpan delay);
}
