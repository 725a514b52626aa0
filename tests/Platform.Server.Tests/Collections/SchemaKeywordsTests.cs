using System.Text.Json.Nodes;
using Platform.Server.Collections;
using Platform.Server.Common;

namespace Platform.Server.Tests.Collections;

public sealed class SchemaKeywordsTests
{
    private const string Two = """
        "definitions": { "a": { "type": "string" }, "b": { "$ref": "#/definitions/a" } },
        "properties": { "x": { "$ref": "#/definitions/b" }
        """;

    [Fact]
    public void Check_RefMembersInEnumConstDefaultOrExamples_AreValuesThatDoNotCountTowardsMaxSchemaRefs()
    {
        // They counted: a schema whose enum listed {"$ref": ...} objects as allowed values was refused as having too many references.
        var schema = Parse($$"""
            { {{Two}},
                "y": { "enum": [ { "$ref": "#/definitions/a" }, { "$ref": "#/x" } ], "const": { "$ref": "#/definitions/a" },
                       "default": { "$ref": "#/definitions/a" }, "examples": [ { "$ref": "#/definitions/a" } ] } },
              "default": { "nested": { "$ref": "#/definitions/a" } } }
            """);

        SchemaKeywords.Check(schema, maxRefs: 2);
    }

    [Theory]
    [InlineData("""{ "properties": { "enum": { "$ref": "#/definitions/a" } } }""", "schema.properties.y.properties.enum.$ref")]
    [InlineData("""{ "definitions": { "default": { "$ref": "#/definitions/a" } } }""", "schema.properties.y.definitions.default.$ref")]
    [InlineData("""{ "allOf": [ { "$ref": "#/definitions/a" } ] }""", "schema.properties.y.allOf[0].$ref")]
    [InlineData("""{ "items": [ { "enum": [1] }, { "$ref": "#/definitions/a" } ] }""", "schema.properties.y.items[1].$ref")]
    [InlineData("""{ "x-custom": { "enum": { "$ref": "#/definitions/a" } } }""", "schema.properties.y.x-custom.enum.$ref")]
    public void Check_ARefInASchemaPosition_NamedLikeADataKeyword_OrUnderAnUnknownKeyword_StillCounts(string third, string field)
    {
        var schema = Parse($$"""{ {{Two}}, "y": {{third}} } }""");

        var refused = Assert.Throws<InvalidInputException>(() => SchemaKeywords.Check(schema, maxRefs: 2));
        Assert.Equal(("invalid_schema", field), (refused.Code, refused.Field));
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
