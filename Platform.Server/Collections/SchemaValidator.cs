using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
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

    /// <summary>Validates the user fields of a document within the default budget (<see cref="Documents.DocumentLimits.SchemaTimeout"/>).</summary>
    public IReadOnlyList<FieldError> Validate(JsonObject userFields) => Validate(userFields, Documents.DocumentLimits.DefaultSchemaTimeout);

    /// <summary>Validates the user fields of a document; returns the problems (empty when valid).</summary>
    /// <remarks>
    /// The document goes to NJsonSchema as the token tree it would have parsed from the document's JSON text
    /// (<see cref="ToToken"/>), without writing that text and reading it back (issue 13, item 4).
    /// </remarks>
    /// <param name="userFields">The document without its system fields.</param>
    /// <param name="budget">
    /// How long the whole check of this document may take. The regex match timeout bounds one <c>pattern</c> match; a
    /// document holding thousands of strings that each take just under it would hold a core for as many seconds, so the
    /// check stops at the first value it reaches past this budget and the document is refused.
    /// </param>
    /// <param name="time">The clock the budget is measured on (tests); <see cref="TimeProvider.System"/> when null.</param>
    public IReadOnlyList<FieldError> Validate(JsonObject userFields, TimeSpan budget, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(userFields);
        var token = ToToken(userFields);
        return Checked(() => new BudgetedValidator(budget, time ?? TimeProvider.System).Validate(token, _schema), token);
    }

    /// <summary>
    /// NJsonSchema's validator with a deadline: every value it visits (each property, array item and sub-schema) passes
    /// through this override, so the time one document may take is the budget plus at most one regex match. Built from
    /// default settings, as <c>JsonSchema.Validate</c> builds its own: the parameterless constructor has no format validators.
    /// </summary>
    private sealed class BudgetedValidator(TimeSpan budget, TimeProvider time) : JsonSchemaValidator(new JsonSchemaValidatorSettings())
    {
        private readonly long _start = time.GetTimestamp();

        protected override ICollection<ValidationError> Validate(JToken token, JsonSchema schema, SchemaType schemaType, string? propertyName, string propertyPath)
        {
            if (time.GetElapsedTime(_start) > budget)
            {
                throw new SchemaBudgetExceededException(token, budget);
            }

            return base.Validate(token, schema, schemaType, propertyName, propertyPath);
        }
    }

    private sealed class SchemaBudgetExceededException(JToken token, TimeSpan budget) : Exception("The schema check ran out of its budget.")
    {
        public JToken Token { get; } = token;

        public TimeSpan Budget { get; } = budget;
    }

    /// <summary>The dot path of the first integer that does not fit in 64 bits, or null.</summary>
    private static string? FirstHugeInteger(JToken token) => token switch
    {
        JValue { Value: BigInteger } => Path(token),
        JContainer container => container.Children().Select(FirstHugeInteger).FirstOrDefault(path => path is not null),
        _ => null,
    };

    /// <summary>The path of the first string value equal to <paramref name="text"/>, or null (e.g. when it was a key).</summary>
    private static string? FirstStringEqualTo(JToken token, string text) => token switch
    {
        JValue { Type: JTokenType.String, Value: string value } when value == text => Path(token),
        JContainer container => container.Children().Select(child => FirstStringEqualTo(child, text)).FirstOrDefault(path => path is not null),
        _ => null,
    };

    // Json.NET paths ("a.b[2]") read like the ones ToPath makes of NJsonSchema's.
    private static string Path(JToken token) => token.Path.Length == 0 ? "(document)" : token.Path;

    /// <summary>
    /// The former path: the document serialized to text and parsed back by NJsonSchema. Kept for the test that
    /// pins <see cref="Validate(JsonObject, TimeSpan, TimeProvider)"/> to the same results.
    /// </summary>
    internal IReadOnlyList<FieldError> ValidateAsText(JsonObject userFields)
    {
        ArgumentNullException.ThrowIfNull(userFields);
        return Checked(() => _schema.Validate(userFields.ToJsonString()), ToToken(userFields));
    }

    private static List<FieldError> Checked(Func<ICollection<ValidationError>> validate, JToken document)
    {
        try
        {
            return ToFieldErrors(validate());
        }
        catch (SchemaBudgetExceededException ex)
        {
            // The document cannot be shown valid within its budget, so it is refused like any other mismatch, naming the
            // value the check had reached.
            return [new FieldError(Path(ex.Token), $"was not checked: checking this document against the schema took longer than {ex.Budget.TotalMilliseconds:0} ms (Baas:Documents:SchemaTimeout)")];
        }
        catch (RegexMatchTimeoutException ex)
        {
            // A schema pattern that backtracks without end on this value (Hosting.RegexDefaults): the value cannot be
            // shown to match, so the document is refused like any other mismatch, naming the string when it is a value.
            return [new FieldError(FirstStringEqualTo(document, ex.Input) ?? "(document)", $"took longer than {ex.MatchTimeout.TotalMilliseconds:0} ms to check against the pattern '{ex.Pattern}'")];
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
        {
            // NJsonSchema cannot compare some values (an integer beyond 64 bits against a numeric keyword throws): the
            // document cannot be shown valid, so it is refused as invalid input, never a server error. Anything else it
            // throws is the schema's doing (one saved before SchemaKeywords checked it), not the document's number.
            return FirstHugeInteger(document) is { } huge
                ? [new FieldError(huge, "holds a number the schema cannot check (an integer beyond 64 bits)")]
                : [new FieldError("(document)", "could not be checked: the collection's schema cannot be applied (save the schema again to see why)")];
        }
    }

    /// <summary>
    /// The Json.NET token NJsonSchema's text path reads for <paramref name="node"/> (<c>JsonTextReader</c> with
    /// <c>DateParseHandling.None</c>): strings stay strings, an integer literal is a 64-bit integer (a
    /// <see cref="BigInteger"/> beyond that range), any other number a double, all from the number's JSON text.
    /// </summary>
    internal static JToken ToToken(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return JValue.CreateNull();
            case JsonObject obj:
                var result = new JObject();
                foreach (var (name, value) in obj)
                {
                    result.Add(new JProperty(name, ToToken(value)));
                }

                return result;
            case JsonArray array:
                var items = new JArray();
                foreach (var item in array)
                {
                    items.Add(ToToken(item));
                }

                return items;
            default:
                var leaf = node.AsValue();
                return leaf.GetValueKind() switch
                {
                    JsonValueKind.String => new JValue(leaf.GetValue<string>()),
                    JsonValueKind.True => new JValue(true),
                    JsonValueKind.False => new JValue(false),
                    JsonValueKind.Number => Number(leaf),
                    _ => JValue.CreateNull(),
                };
        }
    }

    private static JValue Number(JsonValue value)
    {
        // The number's JSON text decides its token type, as in the text path: a value parsed from a request keeps
        // its raw text (read without a copy); one an update operator computed is written as it would be stored.
        if (value.TryGetValue<JsonElement>(out var element))
        {
            return Number(JsonMarshal.GetRawUtf8Value(element));
        }

        return Number(Encoding.UTF8.GetBytes(value.ToJsonString()));
    }

    private static JValue Number(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return new JValue(integer);
            }

            return new JValue(BigInteger.Parse(Encoding.UTF8.GetString(text), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        // JSON Schema since draft 6 defines an integer by value, not by spelling: 1.0 and 1e2 are integers. NJsonSchema
        // checks "integer" the draft-4 way (by the token's type), so an integral value gets an integer token here.
        if (JsonIntegers.TryRead(text, out var integral))
        {
            return new JValue(integral);
        }

        return new JValue(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private static List<FieldError> ToFieldErrors(ICollection<ValidationError> errors)
    {
        var result = new List<FieldError>();
        if (errors.Count > 0)
        {
            Flatten(errors, result);
        }

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
