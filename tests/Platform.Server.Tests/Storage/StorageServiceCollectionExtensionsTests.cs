using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage;

/// <summary>AddBaasStorage registers the configured provider's store and change feed.</summary>
public sealed class StorageServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<BaasOptions>().BindConfiguration(BaasOptions.Section);
        services.AddBaasStorage(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddBaasStorage_RegistersOneSqliteInstance_AsStoreAndFeed()
    {
        using var provider = Build(new() { ["Baas:DataDir"] = Path.Combine(Path.GetTempPath(), "baas-tests", "di-" + Guid.NewGuid().ToString("N")) });

        var store = provider.GetRequiredService<IDocumentStore>();

        // The store is the instrumented wrapper (metrics and spans) around the one SQLite instance that is also the feed.
        Assert.IsType<InstrumentedDocumentStore>(store);
        Assert.Same(store, provider.GetRequiredService<IDocumentStore>());
        Assert.Same(provider.GetRequiredService<SqliteDocumentStore>(), provider.GetRequiredService<IChangeFeed>());
    }

    [Fact]
    public void AddBaasStorage_RegistersTheMongoStoreAndItsFeed_AsSingletons()
    {
        using var provider = Build(new()
        {
            ["Baas:Storage:Provider"] = "Mongo",
            ["Baas:Storage:ConnectionString"] = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300",
        });

        Assert.IsType<InstrumentedDocumentStore>(provider.GetRequiredService<IDocumentStore>());
        Assert.Same(provider.GetRequiredService<IDocumentStore>(), provider.GetRequiredService<IDocumentStore>());
        Assert.Same(provider.GetRequiredService<MongoDocumentStore>(), provider.GetRequiredService<MongoDocumentStore>());
        Assert.IsType<MongoChangeFeed>(provider.GetRequiredService<IChangeFeed>());
        Assert.Same(provider.GetRequiredService<IChangeFeed>(), provider.GetRequiredService<IChangeFeed>());
    }

    [Fact]
    public void AddBaasStorage_RejectsChangeRetentionOutOfRange()
    {
        using var provider = Build(new() { ["Baas:Changes:MaxRetained"] = "0" });

        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChangeFeedOptions>>().Value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void AddBaasStorage_RejectsChangeMaxBytesOutOfRange(string value)
    {
        using var provider = Build(new() { ["Baas:Changes:MaxBytes"] = value });

        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChangeFeedOptions>>().Value);
    }

    [Fact]
    public void AddBaasStorage_Sqlite_HoldsAreTheStore()
    {
        using var provider = Build(new() { ["Baas:DataDir"] = Path.Combine(Path.GetTempPath(), "baas-tests", "di-" + Guid.NewGuid().ToString("N")) });
        Assert.Same(provider.GetRequiredService<SqliteDocumentStore>(), provider.GetRequiredService<IChangeFeedRetention>());
        Assert.True(provider.GetRequiredService<IChangeFeedRetention>().HoldsExtendHistory);
    }
}
