using System.Diagnostics;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>Issue 12 item 9: how the integration servers pick their store, and a run whose MongoDB is not there.</summary>
public class TestStorageTests
{
    private const string ReplicaSet = "mongodb://localhost:27017/?replicaSet=rs0";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sqlite")]
    [InlineData(" SQLite ")]
    public void Select_IsSqlite_UnlessMongoIsAskedFor(string? provider)
    {
        // BAAS_TEST_MONGO alone keeps the integration servers on SQLite: it only turns on the conformance suite.
        var selection = TestStorage.Select(provider, ReplicaSet);

        Assert.Equal(TestProviderSelection.Sqlite, selection);
    }

    [Theory]
    [InlineData("mongo")]
    [InlineData("Mongo")]
    [InlineData("mongodb")]
    public void Select_IsMongo_WithAConnectionString(string provider)
    {
        var selection = TestStorage.Select(provider, ReplicaSet);

        Assert.Equal(new TestProviderSelection(TestProvider.Mongo, ReplicaSet, null), selection);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void Select_Mongo_WithoutAConnectionString_SaysWhatIsMissing(string? mongo)
    {
        var selection = TestStorage.Select("mongo", mongo);

        Assert.Contains("BAAS_TEST_PROVIDER=mongo needs BAAS_TEST_MONGO", selection.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_RefusesAnUnknownProvider_AndABadConnectionString()
    {
        Assert.Contains("must be 'sqlite' or 'mongo', not 'postgres'", TestStorage.Select("postgres", null).Error, StringComparison.Ordinal);
        Assert.Contains("BAAS_TEST_MONGO is not a MongoDB connection string", TestStorage.Select("mongo", "http://localhost").Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DatabaseFor_IsOnePerDataDir_SoServersOnOneDirShareTheirStore()
    {
        var dir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        var other = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));

        Assert.Equal(TestStorage.DatabaseFor(dir), TestStorage.DatabaseFor(dir + Path.DirectorySeparatorChar + "."));
        Assert.NotEqual(TestStorage.DatabaseFor(dir), TestStorage.DatabaseFor(other));
        Assert.Matches("^baas_test_[0-9a-f]{20}$", TestStorage.DatabaseFor(dir));
    }

    [Fact]
    public void MongoSettings_SelectTheProviderAndItsDatabase()
    {
        var settings = TestStorage.MongoSettings(ReplicaSet, "baas_test_x");

        Assert.Equal("Mongo", settings["Baas:Storage:Provider"]);
        Assert.Equal(ReplicaSet, settings["Baas:Storage:ConnectionString"]);
        Assert.Equal("baas_test_x", settings["Baas:Storage:Database"]);
    }

    [Fact]
    public async Task StartAsync_OnMongo_WithNoServerThere_FailsFast_WithOneClearMessage()
    {
        // Nothing listens on the discard port.
        var selection = TestStorage.Select("mongo", "mongodb://127.0.0.1:9/?replicaSet=rs0");
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BaasTestServer.StartAsync(storage: selection));

        Assert.StartsWith("BAAS_TEST_PROVIDER=mongo, but no MongoDB answered at 127.0.0.1:9 (BAAS_TEST_MONGO) within 5 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("unset BAAS_TEST_PROVIDER", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");

        // Every later server of the run fails with the same message, without asking the network again.
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => BaasTestServer.StartAsync(storage: selection));
        Assert.Equal(error.Message, again.Message);
    }

    [Fact]
    public async Task StartAsync_WithAnUnusableSelection_FailsWithItsError()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BaasTestServer.StartAsync(storage: TestStorage.Select("mongo", null)));

        Assert.Contains("needs BAAS_TEST_MONGO", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ASettingOfTheProvider_WinsOverTheSelection()
    {
        // How SQLite-specific tests (WAL, group commit, the change log) stay on SQLite in a run on MongoDB.
        var selection = TestStorage.Select("mongo", "mongodb://127.0.0.1:9/?replicaSet=rs0");

        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Storage:Provider"] = "Sqlite" }, storage: selection);

        Assert.Equal(TestProvider.Sqlite, server.Provider);
        Assert.True(File.Exists(Path.Combine(server.DataDir, "baas.db")));
    }
}
