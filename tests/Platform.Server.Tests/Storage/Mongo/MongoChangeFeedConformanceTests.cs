using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Mongo;

public sealed class MongoChangeFeedConformanceTests(MongoStoreFixture fixture)
    : ChangeFeedConformanceTests(fixture), IClassFixture<MongoStoreFixture>;
