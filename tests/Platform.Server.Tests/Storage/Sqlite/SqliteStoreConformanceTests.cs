namespace Platform.Server.Tests.Storage.Sqlite;

public sealed class SqliteStoreConformanceTests(SqliteStoreFixture fixture)
    : StoreConformanceTests(fixture), IClassFixture<SqliteStoreFixture>;
