using System.Linq.Expressions;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Queries;

namespace Platform.Sdk;

/// <summary>
/// A typed operator update (<c>$set</c>, <c>$inc</c>, ...), applied atomically by the server to one document.
/// Fields are chosen with member expressions and named as your serializer names them.
/// </summary>
/// <typeparam name="T">The document type.</typeparam>
public sealed class DocumentUpdate<T>
{
    private readonly JsonSerializerOptions _options;
    private readonly ExpressionPaths _paths;
    private readonly JsonObject _operators = [];

    internal DocumentUpdate(JsonSerializerOptions options, System.Reflection.PropertyInfo? idProperty)
    {
        _options = options;
        _paths = new ExpressionPaths(options, idProperty);
    }

    /// <summary>Sets a field (<c>$set</c>); intermediate objects are created.</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The new value.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Set<TValue>(Expression<Func<T, TValue>> field, TValue value) => Add("$set", field, Value(value));

    /// <summary>Removes a field (<c>$unset</c>).</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Unset<TValue>(Expression<Func<T, TValue>> field) => Add("$unset", field, JsonValue.Create(string.Empty));

    /// <summary>Adds to a number (<c>$inc</c>); a missing field counts as 0.</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="amount">What to add (negative to subtract).</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Increment<TValue>(Expression<Func<T, TValue>> field, TValue amount) => Add("$inc", field, Value(amount));

    /// <summary>Multiplies a number (<c>$mul</c>); a missing field becomes 0.</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="factor">The factor.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Multiply<TValue>(Expression<Func<T, TValue>> field, TValue factor) => Add("$mul", field, Value(factor));

    /// <summary>Keeps the smaller of the stored value and <paramref name="value"/> (<c>$min</c>).</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The candidate.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Min<TValue>(Expression<Func<T, TValue>> field, TValue value) => Add("$min", field, Value(value));

    /// <summary>Keeps the larger of the stored value and <paramref name="value"/> (<c>$max</c>).</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The candidate.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Max<TValue>(Expression<Func<T, TValue>> field, TValue value) => Add("$max", field, Value(value));

    /// <summary>Appends values to an array (<c>$push</c> with <c>$each</c>).</summary>
    /// <typeparam name="TItem">The element type.</typeparam>
    /// <param name="field">The array field.</param>
    /// <param name="items">The values to append.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Push<TItem>(Expression<Func<T, IEnumerable<TItem>>> field, params TItem[] items) =>
        Add("$push", field, new JsonObject { ["$each"] = Value(items) });

    /// <summary>Appends values not already in an array (<c>$addToSet</c> with <c>$each</c>).</summary>
    /// <typeparam name="TItem">The element type.</typeparam>
    /// <param name="field">The array field.</param>
    /// <param name="items">The values to add.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> AddToSet<TItem>(Expression<Func<T, IEnumerable<TItem>>> field, params TItem[] items) =>
        Add("$addToSet", field, new JsonObject { ["$each"] = Value(items) });

    /// <summary>Removes every element equal to <paramref name="item"/> from an array (<c>$pull</c>).</summary>
    /// <typeparam name="TItem">The element type.</typeparam>
    /// <param name="field">The array field.</param>
    /// <param name="item">The value to remove.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> Pull<TItem>(Expression<Func<T, IEnumerable<TItem>>> field, TItem item) => Add("$pull", field, Value(item));

    /// <summary>Sets a field to the server's current time, an ISO-8601 UTC string (<c>$currentDate</c>).</summary>
    /// <typeparam name="TValue">The field type.</typeparam>
    /// <param name="field">The field.</param>
    /// <returns>This update.</returns>
    public DocumentUpdate<T> CurrentDate<TValue>(Expression<Func<T, TValue>> field) => Add("$currentDate", field, JsonValue.Create(true));

    /// <summary>The update document, e.g. <c>{"$set": {"done": true}, "$inc": {"priority": 1}}</c>.</summary>
    /// <returns>A new JSON object.</returns>
    public JsonObject ToJson() => (JsonObject)_operators.DeepClone();

    private JsonNode? Value<TValue>(TValue value) => JsonSerializer.SerializeToNode(value, _options);

    private DocumentUpdate<T> Add(string op, LambdaExpression field, JsonNode? value)
    {
        var path = _paths.GetPath(field);
        if (path == "_id" || path.StartsWith('_'))
        {
            throw new NotSupportedException($"'{path}' is a system field; the server does not let updates change it.");
        }

        if (_operators[op] is not JsonObject fields)
        {
            fields = [];
            _operators[op] = fields;
        }

        fields[path] = value;
        return this;
    }
}
