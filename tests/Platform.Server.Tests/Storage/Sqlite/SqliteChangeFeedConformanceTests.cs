using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Sqlite;

public sealed class SqliteChangeFeedConformanceTests(SqliteStoreFixture fixture)
    : ChangeFeedConformanceTests(fixture), IClassFixture<SqliteStoreFixture>;
