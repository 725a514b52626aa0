using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Issue 12 item 4: the write and read concerns every MongoDB operation uses, inspected without a server.</summary>
public class MongoDurabilityTests
{
    private const string Unreachable = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";

    private static MongoDocumentStore Store(MongoStorageOptions mongo) =>
        new(Options.Create(new StorageOptions { Provider = StorageProvider.Mongo, ConnectionString = Unreachable, Database = "baas_test", Mongo = mongo }), NullLogger<MongoDocumentStore>.Instance);

    private static List<ValidationResult> Validate(StorageOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void Defaults_AreMajorityJournaledWithATimeout()
    {
        var concern = MongoDurability.WriteConcernOf(new MongoStorageOptions());

        Bson.Equal("""{ "w": "majority", "wtimeout": 10000.0, "j": true }""", concern.ToBsonDocument());
        Assert.Equal(ReadConcernLevel.Majority, MongoDurability.ReadConcernOf(new MongoStorageOptions()).Level);
    }

    [Fact]
    public void WriteConcern_TakesANumberOfMembers_AndReadsLocal()
    {
        var options = new MongoStorageOptions { WriteConcern = "2", Journal = false, WriteConcernTimeout = TimeSpan.Zero };

        Bson.Equal("""{ "w": 2, "j": false }""", MongoDurability.WriteConcernOf(options).ToBsonDocument());
        Assert.Equal(ReadConcernLevel.Local, MongoDurability.ReadConcernOf(options).Level);
    }

    [Fact]
    public void Store_UsesTheConcernForEveryCollection_SingleWritesIncluded()
    {
        using var store = Store(new MongoStorageOptions());

        // Single inserts, replaces and deletes go through collections obtained from this database: they inherit its settings.
        var collection = store.Database.GetCollection<BsonDocument>("todos");
        Assert.Equal(WriteConcern.WMajority.W, collection.Settings.WriteConcern.W);
        Assert.True(collection.Settings.WriteConcern.Journal);
        Assert.Equal(ReadConcernLevel.Majority, collection.Settings.ReadConcern.Level);
        Assert.Equal(ReadPreference.Primary, collection.Settings.ReadPreference);
        Assert.Equal(store.WriteConcern, store.Database.Settings.WriteConcern);
    }

    [Fact]
    public void Store_CommitsBatchesWithTheConfiguredConcern()
    {
        using var store = Store(new MongoStorageOptions { WriteConcern = "3", WriteConcernTimeout = TimeSpan.FromSeconds(5) });

        Bson.Equal("""{ "w": 3, "wtimeout": 5000.0, "j": true }""", store.BatchTransaction.WriteConcern!.ToBsonDocument());
        Assert.Equal(ReadConcernLevel.Local, store.BatchTransaction.ReadConcern!.Level);
        Assert.Equal(new WriteConcern.WCount(3), store.Database.Settings.WriteConcern.W);
    }

    [Fact]
    public void WithWriteConcern_AddsItToACommand()
    {
        var command = MongoDurability.WithWriteConcern(MongoChangeStream.EnablePreImagesCommand("todos"), MongoDurability.WriteConcernOf(new MongoStorageOptions()));

        Bson.Equal("""{ "collMod": "todos", "changeStreamPreAndPostImages": { "enabled": true }, "writeConcern": { "w": "majority", "wtimeout": 10000.0, "j": true } }""", command);
    }

    [Theory]
    [InlineData("majority")]
    [InlineData("Majority")]
    [InlineData("1")]
    [InlineData("50")]
    public void Validation_Accepts(string writeConcern) =>
        Assert.Empty(Validate(new StorageOptions { Mongo = new MongoStorageOptions { WriteConcern = writeConcern } }));

    [Theory]
    [InlineData("0")]
    [InlineData("51")]
    [InlineData("-1")]
    [InlineData("all")]
    [InlineData("")]
    public void Validation_Rejects_NamingTheKey(string writeConcern)
    {
        var failure = Assert.Single(Validate(new StorageOptions { Mongo = new MongoStorageOptions { WriteConcern = writeConcern } }));

        Assert.Equal(["Mongo:WriteConcern"], failure.MemberNames);
    }

    [Fact]
    public void Validation_RejectsANegativeTimeout()
    {
        var failure = Assert.Single(Validate(new StorageOptions { Mongo = new MongoStorageOptions { WriteConcernTimeout = TimeSpan.FromSeconds(-1) } }));

        Assert.Equal(["Mongo:WriteConcernTimeout"], failure.MemberNames);
    }
}
