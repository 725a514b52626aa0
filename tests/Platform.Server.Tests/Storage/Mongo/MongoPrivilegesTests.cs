using System.Net;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Issue 12 item 6: the start-up privilege check against constructed <c>connectionStatus</c> answers.</summary>
public class MongoPrivilegesTests
{
    private const string ReadWritePlusCollMod = """
        ["find", "insert", "update", "remove", "createCollection", "dropCollection", "listCollections", "collMod",
         "createIndex", "dropIndex", "listIndexes", "changeStream", "killCursors"]
        """;

    private static BsonDocument Status(string privileges, string users = """[{ "user": "baas", "db": "admin" }]""") =>
        BsonDocument.Parse($$"""{ "authInfo": { "authenticatedUsers": {{users}}, "authenticatedUserRoles": [], "authenticatedUserPrivileges": {{privileges}} }, "ok": 1 }""");

    [Fact]
    public void Command_AsksForPrivileges() =>
        Bson.Equal("""{ "connectionStatus": 1, "showPrivileges": true }""", MongoPrivileges.ConnectionStatusCommand());

    [Fact]
    public void Missing_IsEmpty_ForTheDocumentedRoleOnTheDatabase() =>
        Assert.Empty(MongoPrivileges.Missing(Status($$"""[{ "resource": { "db": "baas", "collection": "" }, "actions": {{ReadWritePlusCollMod}} }]"""), "baas"));

    [Fact]
    public void Missing_NamesCollMod_ForPlainReadWrite()
    {
        // readWrite's actions: everything above but collMod.
        var status = Status("""
            [{ "resource": { "db": "baas", "collection": "" }, "actions": ["find", "insert", "update", "remove", "createCollection", "dropCollection",
               "listCollections", "createIndex", "dropIndex", "listIndexes", "changeStream", "killCursors", "collStats", "dbStats"] },
             { "resource": { "db": "baas", "collection": "system.js" }, "actions": ["collMod"] }]
            """);

        Assert.Equal(["collMod"], MongoPrivileges.Missing(status, "baas"));
    }

    [Fact]
    public void Missing_NamesEverything_WhenTheGrantIsOnAnotherDatabase()
    {
        var missing = MongoPrivileges.Missing(Status($$"""[{ "resource": { "db": "other", "collection": "" }, "actions": {{ReadWritePlusCollMod}} }]"""), "baas");

        Assert.Equal(MongoPrivileges.Required.Select(r => r.Action), missing);
    }

    [Fact]
    public void Missing_IgnoresCollectionLevelGrants_CollectionsAreCreatedAtRunTime() =>
        Assert.Contains("insert", MongoPrivileges.Missing(Status($$"""[{ "resource": { "db": "baas", "collection": "todos" }, "actions": {{ReadWritePlusCollMod}} }]"""), "baas"));

    [Theory]
    [InlineData("""[{ "resource": { "anyResource": true }, "actions": ["anyAction"] }]""")]
    [InlineData("""[{ "resource": { "db": "", "collection": "" }, "actions": ["anyAction"] }]""")]
    [InlineData("""[{ "resource": { "db": "baas", "collection": "" }, "actions": ["anyAction"] }]""")]
    public void Missing_IsEmpty_ForRootLikeGrants(string privileges) =>
        Assert.Empty(MongoPrivileges.Missing(Status(privileges), "baas"));

    [Fact]
    public void Missing_AddsUpSeveralPrivileges()
    {
        var status = Status("""
            [{ "resource": { "db": "", "collection": "" }, "actions": ["find", "insert", "update", "remove", "createCollection", "dropCollection", "listCollections"] },
             { "resource": { "db": "baas", "collection": "" }, "actions": ["collMod", "createIndex", "dropIndex", "listIndexes"] }]
            """);

        Assert.Equal(["changeStream"], MongoPrivileges.Missing(status, "baas"));
    }

    [Fact]
    public void Missing_IsEmpty_WithoutAuthentication() =>
        Assert.Empty(MongoPrivileges.Missing(Status("[]", users: "[]"), "baas"));

    [Fact]
    public void Describe_IsOneLineNamingTheUserTheActionsAndWhy()
    {
        var status = Status("""[{ "resource": { "db": "baas", "collection": "" }, "actions": ["find"] }]""");

        var line = MongoPrivileges.Describe(["collMod", "changeStream"], "baas", MongoPrivileges.User(status));

        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("The MongoDB user baas@admin lacks privileges Baas needs on database 'baas': collMod (", line, StringComparison.Ordinal);
        Assert.Contains("changeStream (the change stream", line, StringComparison.Ordinal);
        Assert.Contains("docs/storage.md", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Unauthorized_IsCode13_AndDescribedWithTheCommand()
    {
        var error = new MongoCommandException(
            new ConnectionId(new ServerId(new ClusterId(1), new DnsEndPoint("localhost", 27017))),
            "command collMod failed",
            new BsonDocument("collMod", "todos"),
            new BsonDocument { { "ok", 0 }, { "code", 13 }, { "codeName", "Unauthorized" }, { "errmsg", "not authorized on baas to execute command { collMod: \"todos\" }" } });

        Assert.True(MongoPrivileges.IsUnauthorized(error));
        var line = MongoPrivileges.DescribeUnauthorized(error, "baas");
        Assert.Contains("(collMod: not authorized on baas", line, StringComparison.Ordinal);
    }
}
