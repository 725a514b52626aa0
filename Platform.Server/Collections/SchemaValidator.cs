using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;
using Platform.Server.Common;

namespace Platform.Server.Collections;

/// <summary>A collection's JSON Schema, compiled once (NJsonSchema), applied to every write.</summary>
public sealed class SchemaValidator
{
    private readonly JsonSchema _schema;

    private SchemaValidator(JsonSchema schema) => _schema = schema;

    /// <summary>Compiles <paramref name="schema"/>; a schema that is not usable is a 400 naming <c>schema</c>.</summary>
    public static async Task<SchemaValidator> CompileAsync(JsonObject schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        RejectExternalReferences(schema, "schema");
        if (schema["type"] is JsonNode type && !(type.GetValueKind() == System.Text.Json.JsonValueKind.String && type.GetValue<string>() == "object"))
        {
            throw new InvalidInputException("invalid_schema", "A collection schema describes documents, so its \"type\" must be \"object\".", "schema.type");
        }

        try
        {
            var compiled = await JsonSchema.FromJsonAsync(schema.ToJsonString(), cancellationToken);
            return new SchemaValidator(compiled);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidInputException("invalid_schema", $"The JSON Schema cannot be used: {ex.Message}", "schema");
        }
    }

    /// <summary>Validates the user fields of a document; returns the problems (empty when valid).</summary>
    public IReadOnlyList<FieldError> Validate(JsonObject userFields)
    {
        ArgumentNullException.ThrowIfNull(userFields);
        var errors = _schema.Validate(userFields.ToJsonString());
        if (errors.Count == 0)
        {
            return [];
        }

        var result = new List<FieldError>();
        Flatten(errors, result);
        return result;
    }

    private static void Flatten(IEnumerable<ValidationError> errors, List<FieldError> into)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                into.Add(new FieldError(ToPath(error), Describe(error)));
                foreach (var nested in child.Errors.Values)
                {
                    Flatten(nested, into);
                }

                continue;
            }

            into.Add(new FieldError(ToPath(error), Describe(error)));
        }
    }

    // NJsonSchema paths look like "#/address/city" or "#/items[2]"; the API speaks dot paths.
    private static string ToPath(ValidationError error)
    {
        var path = error.Path ?? "#";
        if (error.Kind == ValidationErrorKind.PropertyRequired && error.Property is { } property && !path.EndsWith("/" + property, StringComparison.Ordinal))
        {
            path = path.TrimEnd('/') + "/" + property;
        }

        var trimmed = path.TrimStart('#').TrimStart('/').Replace('/', '.');
        return trimmed.Length == 0 ? "(document)" : trimmed;
    }

    private static string Describe(ValidationError error) => error.Kind switch
    {
        ValidationErrorKind.PropertyRequired => "is required",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not allowed (additionalProperties is false)",
        ValidationErrorKind.StringExpected => "must be a string",
        ValidationErrorKind.NumberExpected => "must be a number",
        ValidationErrorKind.IntegerExpected => "must be an integer",
        ValidationErrorKind.BooleanExpected => "must be a boolean",
        ValidationErrorKind.ObjectExpected => "must be an object",
        ValidationErrorKind.ArrayExpected => "must be an array",
        ValidationErrorKind.NullExpected => "must be null",
        ValidationErrorKind.StringTooShort => "is too short",
        ValidationErrorKind.StringTooLong => "is too long",
        ValidationErrorKind.PatternMismatch => "does not match the required pattern",
        ValidationErrorKind.NumberTooSmall => "is below the minimum",
        ValidationErrorKind.NumberTooBig => "is above the maximum",
        ValidationErrorKind.NotInEnumeration => "is not one of the allowed values",
        ValidationErrorKind.TooManyItems => "has too many items",
        ValidationErrorKind.TooFewItems => "has too few items",
        ValidationErrorKind.ItemsNotUnique => "has duplicate items",
        _ => "is not valid (" + error.Kind + ")",
    };

    // Remote $refs would make the server fetch URLs chosen by whoever writes the schema.
    private static void RejectExternalReferences(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && (value?.GetValueKind() != System.Text.Json.JsonValueKind.String || !value.GetValue<string>().StartsWith('#')))
                    {
                        throw new InvalidInputException("invalid_schema", "Only local references (\"$ref\": \"#/...\") are allowed in a collection schema.", $"{path}.$ref");
                    }

                    RejectExternalReferences(value, $"{path}.{key}");
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    RejectExternalReferences(array[i], $"{path}[{i}]");
                }

                break;
        }
    }
}
