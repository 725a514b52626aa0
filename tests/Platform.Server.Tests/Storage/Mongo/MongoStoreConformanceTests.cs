namespace Platform.Server.Tests.Storage.Mongo;

public sealed class MongoStoreConformanceTests(MongoStoreFixture fixture)
    : StoreConformanceTests(fixture), IClassFixture<MongoStoreFixture>;
