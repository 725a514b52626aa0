using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Functions.Schedules;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Functions.Schedules;

/// <summary>The MongoDB job storage's client: the documents' durability settings, inspected without a server.</summary>
public class ScheduleJobStorageTests
{
    private static StorageOptions Storage(MongoStorageOptions mongo, string query = "") => new()
    {
        Provider = StorageProvider.Mongo,
        ConnectionString = "mongodb://db1:27017,db2:27017/?replicaSet=rs0" + query,
        Database = "baas",
        Mongo = mongo,
    };

    [Fact]
    public void MongoClient_ByDefault_WritesMajorityJournaledWithTheTimeout_AndReadsMajorityFromThePrimary()
    {
        var settings = ScheduleJobStorage.MongoClientSettingsFor(Storage(new MongoStorageOptions()));

        Assert.Equal("""{ "w" : "majority", "wtimeout" : 10000.0, "j" : true }""", settings.WriteConcern.ToBsonDocument().ToJson());
        Assert.Equal(ReadConcernLevel.Majority, settings.ReadConcern.Level);
        Assert.Equal(ReadPreference.Primary, settings.ReadPreference);
        Assert.Equal("baas-jobs", settings.ApplicationName);
        Assert.Equal("rs0", settings.ReplicaSetName);
    }

    [Fact]
    public void MongoClient_FollowsAConfiguredWriteConcern_OverTheConnectionString()
    {
        // Hangfire's writes used a fixed majority without wtimeout: a lagging member held a worker without bound, and
        // Baas:Storage:Mongo:* did not apply to them.
        var settings = ScheduleJobStorage.MongoClientSettingsFor(Storage(
            new MongoStorageOptions { WriteConcern = "2", Journal = false, WriteConcernTimeout = TimeSpan.FromSeconds(3) },
            "&w=1&readConcernLevel=majority&appName=mine"));

        Assert.Equal("""{ "w" : 2, "wtimeout" : 3000.0, "j" : false }""", settings.WriteConcern.ToBsonDocument().ToJson());
        Assert.Equal(ReadConcernLevel.Local, settings.ReadConcern.Level);
        Assert.Equal("mine", settings.ApplicationName);
    }
}
