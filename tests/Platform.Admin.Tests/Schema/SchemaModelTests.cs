using System.Text.Json.Nodes;
using Platform.Admin.Schema;

namespace Platform.Admin.Tests.Schema;

/// <summary>The schema editor's JSON ↔ model conversion: what the JSON view shows is what the visual view edits.</summary>
public sealed class SchemaModelTests
{
    private const string Full = """
        {
          "type": "object",
          "properties": {
            "title": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[A-Z]" },
            "status": { "type": "string", "enum": ["open", "done"] },
            "priority": { "type": "integer", "minimum": 1, "maximum": 5, "enum": [1, 2, 3] },
            "score": { "type": "number", "minimum": 0.5 },
            "done": { "type": "boolean" },
            "owner": {
              "type": "object",
              "properties": { "id": { "type": "string" }, "age": { "type": "integer", "minimum": 0 } },
              "required": ["id"]
            },
            "tags": { "type": "array", "items": { "type": "string", "maxLength": 20 }, "maxItems": 10 },
            "points": { "type": "array", "items": { "type": "object", "properties": { "x": { "type": "number" } }, "required": ["x"] } }
          },
          "required": ["title", "status"]
        }
        """;

    [Theory]
    [InlineData(Full)]
    [InlineData("""{ "type": "object", "properties": {} }""")]
    [InlineData("""{ "type": "object", "properties": { "a": { "type": "string", "format": "email", "description": "x" } }, "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#" }""")]
    [InlineData("""{ "type": "object", "properties": { "n": { "type": ["string", "null"], "maxLength": 3 } }, "required": ["n", "ghost"] }""")]
    [InlineData("""{ "type": "object", "properties": { "e": { "type": "string", "enum": ["a,b", "c"] }, "m": { "enum": [1, "x"] } } }""")]
    public void JsonToModelToJson_IsTheSameSchema(string json)
    {
        var schema = (JsonObject)JsonNode.Parse(json)!;

        var back = SchemaModel.ToJson(SchemaModel.FromJson(schema));

        Assert.True(JsonNode.DeepEquals(schema, back), back.ToJsonString());
    }

    [Fact]
    public void FromJson_ReadsTypesBoundsEnumsRequiredAndNesting()
    {
        var model = SchemaModel.FromJson((JsonObject)JsonNode.Parse(Full)!);

        Assert.Equal(SchemaTypes.Object, model.Type);
        Assert.Equal(["title", "status", "priority", "score", "done", "owner", "tags", "points"], model.Fields.Select(f => f.Name));
        var title = model.Fields[0];
        Assert.True(title.Required);
        Assert.Equal((1, 200, "^[A-Z]"), (title.Node.MinLength, title.Node.MaxLength, title.Node.Pattern));
        Assert.Equal(["open", "done"], model.Fields[1].Node.Enum);
        Assert.Equal(["1", "2", "3"], model.Fields[2].Node.Enum);
        Assert.Equal((1m, 5m), (model.Fields[2].Node.Minimum, model.Fields[2].Node.Maximum));
        Assert.False(model.Fields[2].Required);
        var owner = model.Fields[5].Node;
        Assert.Equal(SchemaTypes.Object, owner.Type);
        Assert.True(owner.Fields.Single(f => f.Name == "id").Required);
        var tags = model.Fields[6].Node;
        Assert.Equal((SchemaTypes.String, 20, 10), (tags.Items!.Type, tags.Items.MaxLength, tags.MaxLength));
        Assert.Equal("x", Assert.Single(model.Fields[7].Node.Items!.Fields).Name);
        Assert.Empty(model.Other);
    }

    [Fact]
    public void ModelToJsonToModel_KeepsWhatTheVisualEditorBuilt()
    {
        var model = SchemaModel.Empty();
        model.Fields.Add(new SchemaField { Name = "title", Required = true, Node = new SchemaNode { Type = SchemaTypes.String, MaxLength = 80, Pattern = "\\S" } });
        model.Fields.Add(new SchemaField { Name = "rank", Node = new SchemaNode { Type = SchemaTypes.Integer, Enum = ["1", "2"], Minimum = 1 } });
        model.Fields.Add(new SchemaField { Name = "flags", Node = new SchemaNode { Type = SchemaTypes.Array, Items = new SchemaNode { Type = SchemaTypes.Boolean }, MinLength = 1 } });

        var json = SchemaModel.ToJson(model);
        var expected = JsonNode.Parse("""
            { "type": "object",
              "properties": {
                "title": { "type": "string", "maxLength": 80, "pattern": "\\S" },
                "rank": { "type": "integer", "enum": [1, 2], "minimum": 1 },
                "flags": { "type": "array", "minItems": 1, "items": { "type": "boolean" } } },
              "required": ["title"] }
            """);
        Assert.True(JsonNode.DeepEquals(expected, json), json.ToJsonString());

        var again = SchemaModel.FromJson((JsonObject)JsonNode.Parse(SchemaModel.Format(json))!);
        Assert.True(JsonNode.DeepEquals(json, SchemaModel.ToJson(again)));
        Assert.Equal(80, again.Fields[0].Node.MaxLength);
        Assert.Equal(["1", "2"], again.Fields[1].Node.Enum);
    }

    [Theory]
    [InlineData(SchemaTypes.Integer, "1.5")]
    [InlineData(SchemaTypes.Number, "ten")]
    [InlineData(SchemaTypes.Boolean, "yes")]
    public void ToJson_RejectsAnEnumValueOfTheWrongType(string type, string value)
    {
        var model = SchemaModel.Empty();
        model.Fields.Add(new SchemaField { Name = "f", Node = new SchemaNode { Type = type, Enum = [value] } });

        var error = Assert.Throws<FormatException>(() => SchemaModel.ToJson(model));
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_RejectsDuplicateAndEmptyNames()
    {
        var model = SchemaModel.Empty();
        model.Fields.Add(new SchemaField { Name = "a" });
        model.Fields.Add(new SchemaField { Name = "a" });
        Assert.Contains("twice", Assert.Throws<FormatException>(() => SchemaModel.ToJson(model)).Message, StringComparison.Ordinal);

        model.Fields[1].Name = " ";
        Assert.Contains("name", Assert.Throws<FormatException>(() => SchemaModel.ToJson(model)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"type\": ", "Invalid JSON (line 1, column 11).")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("{ \"a\": 1, }", "Invalid JSON")]
    public void Parse_ExplainsInvalidJson(string text, string expected)
    {
        Assert.Null(SchemaModel.Parse(text, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SaysWhereOnly_NotTheParsersMessage()
    {
        // The parser's own message reads as resource keys in the WebAssembly build ("ZeroDepthAtEnd, LineNumber: ...").
        Assert.Null(SchemaModel.Parse("{\n  \"a\": tru\n}", out var error));
        Assert.Equal("Invalid JSON (line 2, column 11).", error);
    }
}
