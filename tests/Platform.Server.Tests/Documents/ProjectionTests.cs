using System.Text.Json.Nodes;
using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

public sealed class ProjectionTests
{
    private const string Doc = """
        {"_id": "x", "_version": 2, "title": "T", "author": {"name": "N", "age": 3}, "tags": ["a"],
         "items": [{"sku": "s1", "qty": 1}, 5, {"qty": 2}, [{"sku": "s3"}]], "_createdAt": "2026-01-01T00:00:00.000Z",
         "_updatedAt": "2026-01-01T00:00:00.000Z", "_createdBy": null}
        """;

    private static JsonObject Project(params string[] fields) => Projection.Apply(JsonNode.Parse(Doc)!.AsObject(), fields);

    [Fact]
    public void Apply_KeepsListedFieldsAndSystemFields_InDocumentOrder()
    {
        var result = Project("tags", "title");
        Assert.Equal(
            """{"_id":"x","_version":2,"title":"T","tags":["a"],"_createdAt":"2026-01-01T00:00:00.000Z","_updatedAt":"2026-01-01T00:00:00.000Z","_createdBy":null}""",
            result.ToJsonString());
    }

    [Fact]
    public void Apply_SelectsNestedFields()
    {
        var result = Project("author.name", "missing.x");
        Assert.Equal("""{"name":"N"}""", result["author"]!.ToJsonString());
        Assert.False(result.ContainsKey("missing"));
    }

    [Fact]
    public void Apply_ProjectsThroughArrays_DroppingScalars()
    {
        var result = Project("items.sku");
        Assert.Equal("""[{"sku":"s1"},{},[{"sku":"s3"}]]""", result["items"]!.ToJsonString());
    }

    [Fact]
    public void Apply_PrefixWinsOverLongerPath()
    {
        Assert.Equal("""{"name":"N","age":3}""", Project("author.name", "author")["author"]!.ToJsonString());
        Assert.Equal("""{"name":"N","age":3}""", Project("author", "author.name")["author"]!.ToJsonString());
    }

    [Fact]
    public void Apply_ScalarWhereObjectExpected_IsLeftOut()
    {
        Assert.False(Project("title.x").ContainsKey("title"));
    }

    [Fact]
    public void Apply_EmptyListReturnsCopyOfWholeDocument()
    {
        var source = JsonNode.Parse(Doc)!.AsObject();
        var result = Projection.Apply(source, []);
        Assert.True(JsonNode.DeepEquals(source, result));
        Assert.NotSame(source, result);
        result["title"] = "changed";
        Assert.Equal("T", (string)source["title"]!);
    }
}
