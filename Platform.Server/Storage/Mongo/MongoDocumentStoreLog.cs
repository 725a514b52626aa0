namespace Platform.Server.Storage.Mongo;

internal static partial class MongoDocumentStoreLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "MongoDB store ready: database {Database} on a {Topology}.")]
    public static partial void Ready(ILogger logger, string database, string topology);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "MongoDB did not answer a ping in time.")]
    public static partial void PingFailed(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Created index {Index} on {Collection}.")]
    public static partial void IndexCreated(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Dropped index {Index} from {Collection}.")]
    public static partial void IndexDropped(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Unique index {Index} on {Collection} was not built: existing documents have duplicate keys.")]
    public static partial void UniqueIndexRejected(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "Turned on change-stream pre-images for {Collection}.")]
    public static partial void PreImagesEnabled(ILogger logger, string collection);
}
