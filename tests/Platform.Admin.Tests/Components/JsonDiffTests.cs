using System.Text.Json.Nodes;
using Platform.Admin.Components;
using Platform.Admin.Services;
using Platform.Sdk;

namespace Platform.Admin.Tests.Components;

public sealed class JsonDiffTests
{
    [Fact]
    public void Compare_MarksAddedRemovedChangedAndSameLeaves()
    {
        var lines = JsonDiff.Compare(
            JsonNode.Parse("""{"a":1,"b":{"c":"x","d":true},"gone":null,"tags":["p"]}"""),
            JsonNode.Parse("""{"a":1,"b":{"c":"y","d":true},"tags":["p","q"],"new":{}}"""));

        Assert.Equal(
            ["a:Same", "b.c:Changed", "b.d:Same", "gone:Removed", "new:Added", "tags[0]:Same", "tags[1]:Added"],
            lines.Select(l => l.Path + ":" + l.Kind));
        Assert.Equal("\"x\"", lines.Single(l => l.Path == "b.c").Before);
        Assert.Equal("\"y\"", lines.Single(l => l.Path == "b.c").After);
    }

    [Fact]
    public void Compare_WithNullBefore_IsAllAdded() =>
        Assert.All(JsonDiff.Compare(null, JsonNode.Parse("""{"a":1,"b":[2]}""")), l => Assert.Equal(DiffKind.Added, l.Kind));

    [Fact]
    public void Settings_FlattenJoinsKeysWithColons_AndMarksMasks()
    {
        var rows = SettingsService.Flatten(JsonNode.Parse("""{"Baas":{"Smtp":{"Password":"***","Ports":[25,587]},"Empty":{}},"urls":null}""")!.AsObject());

        Assert.Equal(["Baas:Empty", "Baas:Smtp:Password", "Baas:Smtp:Ports:0", "Baas:Smtp:Ports:1", "urls"], rows.Select(r => r.Key));
        Assert.True(rows.Single(r => r.Key == "Baas:Smtp:Password").Masked);
        Assert.Equal("587", rows.Single(r => r.Key == "Baas:Smtp:Ports:1").Value);
        Assert.Single(SettingsService.Filter(rows, "PORTS:1"));
    }

    [Fact]
    public void Users_ParseRolesAndDataPatch()
    {
        Assert.Equal(["a", "b", "c"], UsersService.ParseRoles(" a, b  c,a "));
        Assert.Empty(UsersService.ParseRoles(null));
        var patch = UsersService.DataPatch(JsonNode.Parse("""{"keep":1,"change":2,"drop":3}""")!.AsObject(), JsonNode.Parse("""{"keep":1,"change":5,"add":true}""")!.AsObject());
        Assert.Equal("""{"change":5,"add":true,"drop":null}""", patch.ToJsonString());
    }
}

public sealed class LiveEventLogTests
{
    private static DocumentChange<JsonObject> Change(DocumentChangeType type, string id, string? json) =>
        new(type, id, json is null ? null : new Document<JsonObject>(id, 1, default, default, null, JsonNode.Parse(json)!.AsObject()), "1");

    [Fact]
    public void Add_ComparesWithTheLastStateSeen_NewestFirst()
    {
        var log = new LiveEventLog(10, TimeProvider.System);
        log.Add(Change(DocumentChangeType.Added, "d1", """{"title":"a","done":false}"""));
        log.Add(Change(DocumentChangeType.Modified, "d1", """{"title":"a","done":true}"""));

        var latest = log.Events[0];
        Assert.Equal(DocumentChangeType.Modified, latest.Type);
        Assert.True(latest.HasPrevious);
        Assert.Equal(["done:Changed", "title:Same"], latest.Lines.Select(l => l.Path + ":" + l.Kind));
        Assert.All(log.Events[1].Lines, l => Assert.Equal(DiffKind.Added, l.Kind));
    }

    [Fact]
    public void Add_KeepsOnlyTheLastN_AndPauseCountsWithoutShowing()
    {
        var log = new LiveEventLog(3, TimeProvider.System);
        for (var i = 0; i < 5; i++)
        {
            log.Add(Change(DocumentChangeType.Added, "d" + i, """{"n":1}"""));
        }

        Assert.Equal(["d4", "d3", "d2"], log.Events.Select(e => e.Id));

        log.Paused = true;
        log.Add(Change(DocumentChangeType.Modified, "d4", """{"n":2}"""));
        Assert.Equal(1, log.Skipped);
        Assert.Equal("d4", log.Events[0].Id);
        Assert.Equal(DocumentChangeType.Added, log.Events[0].Type);

        log.Paused = false;
        log.Add(Change(DocumentChangeType.Modified, "d4", """{"n":3}"""));
        Assert.Equal("2", log.Events[0].Lines.Single().Before);

        log.Clear();
        Assert.Empty(log.Events);
    }

    [Fact]
    public void Removed_ShowsTheLastStateAsRemoved()
    {
        var log = new LiveEventLog(5, TimeProvider.System);
        log.Add(Change(DocumentChangeType.Added, "d1", """{"n":1}"""));
        log.Add(Change(DocumentChangeType.Removed, "d1", null));
        Assert.Equal(DiffKind.Removed, log.Events[0].Lines.Single().Kind);
    }
}
