using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Sdk.Queries;

/// <summary>
/// Translates a predicate such as <c>t =&gt; !t.Done &amp;&amp; t.Priority &gt; 2</c> into the server's
/// filter JSON (<c>{"done": false, "priority": {"$gt": 2}}</c>). Captured variables are evaluated now;
/// anything the server cannot express throws <see cref="NotSupportedException"/> naming it.
/// </summary>
internal sealed class FilterTranslator
{
    private static readonly HashSet<string> SystemTimeFields = ["_createdAt", "_updatedAt"];

    private readonly JsonSerializerOptions _options;
    private readonly ExpressionPaths _paths;
    private ParameterExpression _parameter = null!;

    // Inside t.Tags.Any(x => ...) over plain values, x itself is the field (path ""), so conditions on it are allowed.
    private bool _valueElement;

    public FilterTranslator(JsonSerializerOptions options, PropertyInfo? idProperty)
    {
        _options = options;
        _paths = new ExpressionPaths(options, idProperty);
    }

    public JsonObject Translate(LambdaExpression predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        _parameter = predicate.Parameters[0];
        return Visit(predicate.Body);
    }

    /// <summary>All of <paramref name="filters"/>: one object when their keys do not overlap, else <c>$and</c>.</summary>
    public static JsonObject And(IReadOnlyList<JsonObject> filters)
    {
        var parts = filters.Where(f => f.Count > 0).ToList();
        if (parts.Count == 0)
        {
            return [];
        }

        if (parts.Count == 1)
        {
            return (JsonObject)parts[0].DeepClone();
        }

        var keys = parts.SelectMany(p => p.Select(kv => kv.Key)).ToList();
        if (keys.Count == keys.Distinct(StringComparer.Ordinal).Count())
        {
            var merged = new JsonObject();
            foreach (var (key, value) in parts.SelectMany(p => p))
            {
                merged[key] = value?.DeepClone();
            }

            return merged;
        }

        return new JsonObject { ["$and"] = new JsonArray([.. parts.Select(p => (JsonNode)p.DeepClone())]) };
    }

    private JsonObject Visit(Expression node)
    {
        switch (node.NodeType)
        {
            case ExpressionType.AndAlso:
            case ExpressionType.And when node.Type == typeof(bool):
                return And([.. Flatten(node, node.NodeType).Select(Visit)]);

            case ExpressionType.OrElse:
            case ExpressionType.Or when node.Type == typeof(bool):
                return new JsonObject { ["$or"] = new JsonArray([.. Flatten(node, node.NodeType).Select(n => (JsonNode)Visit(n))]) };

            case ExpressionType.Not:
                return Not(((UnaryExpression)node).Operand);

            case ExpressionType.Equal:
            case ExpressionType.NotEqual:
            case ExpressionType.LessThan:
            case ExpressionType.LessThanOrEqual:
            case ExpressionType.GreaterThan:
            case ExpressionType.GreaterThanOrEqual:
                return Comparison((BinaryExpression)node);

            case ExpressionType.Constant when node.Type == typeof(bool):
                // true matches everything; false matches nothing (no document has an id in an empty list).
                return (bool)((ConstantExpression)node).Value! ? [] : new JsonObject { ["_id"] = new JsonObject { ["$in"] = new JsonArray() } };

            case ExpressionType.Call:
                return Call((MethodCallExpression)node);

            case ExpressionType.Convert when node.Type == typeof(bool) || node.Type == typeof(bool?):
                return Visit(((UnaryExpression)node).Operand);
        }

        if (node.Type == typeof(bool) && _paths.TryGetPath(node, _parameter, out var path, out _) && IsField(path))
        {
            return new JsonObject { [path] = true };
        }

        if (node.Type == typeof(bool) && !Uses(node))
        {
            return Visit(Expression.Constant(Evaluator.Evaluate(node), typeof(bool)));
        }

        throw Unsupported(node);
    }

    private JsonObject Not(Expression operand)
    {
        if (operand.Type == typeof(bool) && _paths.TryGetPath(operand, _parameter, out var path, out _) && IsField(path))
        {
            return new JsonObject { [path] = false };
        }

        return new JsonObject { ["$nor"] = new JsonArray(Visit(operand)) };
    }

    private JsonObject Comparison(BinaryExpression node)
    {
        var op = node.NodeType;
        var left = node.Left;
        var right = node.Right;
        if (!IsPath(left) && IsPath(right))
        {
            (left, right) = (right, left);
            op = op switch
            {
                ExpressionType.LessThan => ExpressionType.GreaterThan,
                ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
                ExpressionType.GreaterThan => ExpressionType.LessThan,
                ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
                _ => op,
            };
        }

        if (CompareCall(left) is { } compare && !Uses(right) && Evaluator.Evaluate(right) is 0)
        {
            // string.Compare(t.Name, "m") > 0 and t.Name.CompareTo("m") > 0: an ordinal comparison of the field.
            return Condition(compare.Path, op, compare.Value, compare.Type);
        }

        if (SizeOf(left) is { } size && !Uses(right))
        {
            return SizeCondition(size, op, right, node);
        }

        if (!_paths.TryGetPath(left, _parameter, out var path, out var memberType) || !IsField(path))
        {
            throw Unsupported(node, "one side must be a document field and the other a value (comparing two fields is not supported)");
        }

        if (Uses(right))
        {
            throw Unsupported(node, "comparing two document fields is not supported");
        }

        return Condition(path, op, Evaluator.Evaluate(right), memberType);
    }

    private JsonObject Condition(string path, ExpressionType op, object? raw, Type memberType)
    {
        var value = Serialize(raw, memberType, path);
        if (value is null && op is not (ExpressionType.Equal or ExpressionType.NotEqual))
        {
            throw new NotSupportedException($"Cannot compare '{path}' with null using {op}; only == and != work with null.");
        }

        return op switch
        {
            ExpressionType.Equal => new JsonObject { [path] = value },
            ExpressionType.NotEqual => Operator(path, "$ne", value),
            ExpressionType.LessThan => Operator(path, "$lt", value),
            ExpressionType.LessThanOrEqual => Operator(path, "$lte", value),
            ExpressionType.GreaterThan => Operator(path, "$gt", value),
            ExpressionType.GreaterThanOrEqual => Operator(path, "$gte", value),
            _ => throw new NotSupportedException($"Operator {op} is not supported."),
        };
    }

    private static JsonObject SizeCondition(string path, ExpressionType op, Expression right, BinaryExpression node)
    {
        if (op != ExpressionType.Equal)
        {
            throw Unsupported(node, "only == is supported on an array's Count or Length (it becomes $size)");
        }

        return Operator(path, "$size", JsonValue.Create(Convert.ToInt64(Evaluator.Evaluate(right), System.Globalization.CultureInfo.InvariantCulture)));
    }

    private JsonObject Call(MethodCallExpression call)
    {
        var method = call.Method;
        if (method.DeclaringType == typeof(string))
        {
            return StringCall(call);
        }

        if (method.Name == "Contains")
        {
            // Enumerable.Contains(source, item), MemoryExtensions.Contains(span, item) or source.Contains(item).
            var (source, item) = call.Object is null
                ? (call.Arguments[0], call.Arguments[1])
                : (call.Object, call.Arguments[0]);
            if (method.DeclaringType == typeof(MemoryExtensions) && call.Arguments.Count != 2)
            {
                throw Unsupported(call);
            }

            source = UnwrapSpan(source);
            return Contains(call, source, item);
        }

        if (method.Name == "Equals" && call.Object is not null && call.Arguments.Count == 1)
        {
            return Comparison(Expression.Equal(call.Object, Expression.Convert(call.Arguments[0], call.Object.Type)));
        }

        if (method.Name == "Equals" && call.Object is null && method.IsStatic && call.Arguments.Count == 2)
        {
            return Comparison(Expression.Equal(call.Arguments[0], Expression.Convert(call.Arguments[1], call.Arguments[0].Type)));
        }

        if (method.DeclaringType == typeof(Enumerable) && method.Name == "Any" && call.Arguments.Count == 2
            && _paths.TryGetPath(call.Arguments[0], _parameter, out var arrayPath, out _)
            && StripQuote(call.Arguments[1]) is LambdaExpression element)
        {
            return ElementMatch(arrayPath, element);
        }

        throw Unsupported(call);
    }

    private JsonObject ElementMatch(string path, LambdaExpression element)
    {
        if (Uses(element.Body))
        {
            throw Unsupported(element, "a condition on array elements cannot refer to the document's other fields");
        }

        var saved = (_parameter, _valueElement);
        _parameter = element.Parameters[0];
        _valueElement = IsPlainValue(_parameter.Type);
        try
        {
            var inner = Visit(element.Body);
            return _valueElement ? AnyValue(path, inner, element) : Operator(path, "$elemMatch", inner);
        }
        finally
        {
            (_parameter, _valueElement) = saved;
        }
    }

    private JsonObject StringCall(MethodCallExpression call)
    {
        var method = call.Method;
        if (method.Name == "IsNullOrEmpty" && call.Arguments.Count == 1 && _paths.TryGetPath(call.Arguments[0], _parameter, out var nullPath, out _))
        {
            return new JsonObject { ["$or"] = new JsonArray(new JsonObject { [nullPath] = null }, new JsonObject { [nullPath] = string.Empty }) };
        }

        if (method.Name is "StartsWith" or "Contains" && call.Object is not null && call.Arguments.Count is 1 or 2
            && (call.Arguments[0].Type == typeof(string) || call.Arguments[0].Type == typeof(char)))
        {
            if (!_paths.TryGetPath(call.Object, _parameter, out var path, out _) || !IsField(path) || Uses(call.Arguments[0]))
            {
                throw Unsupported(call, "the string must be a document field and the argument a value");
            }

            var ignoreCase = false;
            if (call.Arguments.Count == 2)
            {
                var comparison = Evaluator.Evaluate(call.Arguments[1]) is StringComparison c ? c : (StringComparison?)null;
                ignoreCase = comparison switch
                {
                    StringComparison.Ordinal => false,
                    StringComparison.OrdinalIgnoreCase when method.Name == "Contains" => true,
                    _ => throw Unsupported(call, "only StringComparison.Ordinal (and OrdinalIgnoreCase for Contains) is supported"),
                };
            }

            var text = Evaluator.Evaluate(call.Arguments[0]) switch
            {
                string value => value,
                char value => value.ToString(),
                _ => throw Unsupported(call, "the argument must not be null"),
            };
            var op = method.Name == "StartsWith" ? "$startsWith" : ignoreCase ? "$containsi" : "$contains";
            return Operator(path, op, JsonValue.Create(text));
        }

        if (method.Name == "Equals" && call.Object is not null && call.Arguments.Count == 1)
        {
            return Comparison(Expression.Equal(call.Object, call.Arguments[0]));
        }

        if (method.Name == "Equals" && call.Object is null && call.Arguments.Count == 2)
        {
            return Comparison(Expression.Equal(call.Arguments[0], call.Arguments[1]));
        }

        throw Unsupported(call, "of the string methods only StartsWith, Contains, Equals and string.IsNullOrEmpty are supported (and CompareOrdinal in comparisons)");
    }

    private JsonObject Contains(MethodCallExpression call, Expression source, Expression item)
    {
        if (!Uses(source) && _paths.TryGetPath(item, _parameter, out var path, out var memberType) && IsField(path))
        {
            var values = Evaluator.Evaluate(source) as IEnumerable
                ?? throw Unsupported(call, "the list of values is null");
            var array = new JsonArray();
            foreach (var value in values)
            {
                array.Add(Serialize(value, memberType, path));
            }

            return Operator(path, "$in", array);
        }

        if (_paths.TryGetPath(source, _parameter, out var arrayPath, out var arrayType) && arrayPath.Length > 0 && !Uses(item))
        {
            // An array field contains a value: MongoDB's any-element equality.
            var elementType = ElementType(arrayType) ?? typeof(object);
            return new JsonObject { [arrayPath] = Serialize(Evaluator.Evaluate(item), elementType, arrayPath) };
        }

        throw Unsupported(call, "use list.Contains(t.Field) for $in, or t.ArrayField.Contains(value) for array membership");
    }

    private (string Path, object? Value, Type Type)? CompareCall(Expression expression)
    {
        // string.CompareOrdinal(t.Name, "m") > 0 and string.Compare(t.Name, "m", StringComparison.Ordinal) > 0.
        if (ExpressionPaths.StripConvert(expression) is not MethodCallExpression { Object: null, Method.Name: "Compare" or "CompareOrdinal" } call
            || call.Method.DeclaringType != typeof(string))
        {
            return null;
        }

        var ordinal = call.Method.Name == "CompareOrdinal"
            ? call.Arguments.Count == 2
            : call.Arguments.Count == 3 && call.Arguments[2].Type == typeof(StringComparison) && !Uses(call.Arguments[2]) && Evaluator.Evaluate(call.Arguments[2]) is StringComparison.Ordinal;
        if (!ordinal)
        {
            return null;
        }

        if (_paths.TryGetPath(call.Arguments[0], _parameter, out var path, out var type) && IsField(path) && !Uses(call.Arguments[1]))
        {
            return (path, Evaluator.Evaluate(call.Arguments[1]), type);
        }

        return null;
    }

    private string? SizeOf(Expression expression)
    {
        if (ExpressionPaths.StripConvert(expression) is UnaryExpression { NodeType: ExpressionType.ArrayLength } length
            && _paths.TryGetPath(length.Operand, _parameter, out var arrayPath, out _) && arrayPath.Length > 0)
        {
            return arrayPath;
        }

        if (ExpressionPaths.StripConvert(expression) is MemberExpression { Member.Name: "Count" or "Length", Expression: { } owner }
            && owner.Type != typeof(string)
            && _paths.TryGetPath(owner, _parameter, out var path, out _) && path.Length > 0)
        {
            return path;
        }

        if (ExpressionPaths.StripConvert(expression) is MethodCallExpression { Method.Name: "Count", Method.DeclaringType: var type, Arguments.Count: 1 } call
            && type == typeof(Enumerable)
            && _paths.TryGetPath(call.Arguments[0], _parameter, out var counted, out _) && counted.Length > 0)
        {
            return counted;
        }

        return null;
    }

    private JsonNode? Serialize(object? value, Type memberType, string path)
    {
        if (value is null)
        {
            return null;
        }

        var target = Nullable.GetUnderlyingType(memberType) ?? memberType;
        if (target.IsEnum && !value.GetType().IsEnum)
        {
            // C# compares enums as their underlying integers; turn the number back into the enum so its converter applies.
            value = Enum.ToObject(target, value);
        }

        if (SystemTimeFields.Contains(path) && value is DateTimeOffset or DateTime)
        {
            var utc = value is DateTimeOffset offset ? offset.UtcDateTime : ((DateTime)value).ToUniversalTime();
            return JsonValue.Create(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        }

        var type = target.IsInstanceOfType(value) ? target : value.GetType();
        return JsonSerializer.SerializeToNode(value, type, _options);
    }

    private static JsonObject Operator(string path, string op, JsonNode? value) =>
        new() { [path] = new JsonObject { [op] = value } };

    private static IEnumerable<Expression> Flatten(Expression node, ExpressionType type)
    {
        if (node.NodeType == type && node is BinaryExpression binary)
        {
            return Flatten(binary.Left, type).Concat(Flatten(binary.Right, type));
        }

        return [node];
    }

    private static Expression UnwrapSpan(Expression source)
    {
        // C# 14 binds array.Contains(x) to MemoryExtensions.Contains(ReadOnlySpan<T>, T) via an implicit span conversion.
        var isSpan = source.Type.IsGenericType
            && (source.Type.GetGenericTypeDefinition() == typeof(ReadOnlySpan<>) || source.Type.GetGenericTypeDefinition() == typeof(Span<>));
        if (!isSpan)
        {
            return source;
        }

        return source switch
        {
            MethodCallExpression { Arguments.Count: 1 } conversion => conversion.Arguments[0],
            UnaryExpression { NodeType: ExpressionType.Convert } convert => convert.Operand,
            NewExpression { Arguments.Count: 1 } created => created.Arguments[0],
            _ => throw new NotSupportedException($"Cannot read the values of '{source}'."),
        };
    }

    private static Expression StripQuote(Expression expression) =>
        expression is UnaryExpression { NodeType: ExpressionType.Quote } quote ? quote.Operand : expression;

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];
    }

    private bool IsPath(Expression expression) =>
        SizeOf(expression) is not null || CompareCall(expression) is not null || (_paths.TryGetPath(expression, _parameter, out var path, out _) && IsField(path));

    private bool IsField(string path) => path.Length > 0 || _valueElement;

    private static bool IsPlainValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(Guid)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly);
    }

    /// <summary>
    /// "Some element meets the condition", from the condition translated with the element as the field <c>""</c>:
    /// <c>||</c> splits into one element match per branch (Any(a || b) is Any(a) || Any(b)); everything else is
    /// the value form of <c>$elemMatch</c>, so that all operators hold for the same element and negations mean
    /// "an element that is not", not "no element is".
    /// </summary>
    private static JsonObject AnyValue(string path, JsonObject condition, LambdaExpression element)
    {
        if (condition.Count == 1 && condition["$or"] is JsonArray branches)
        {
            return new JsonObject { ["$or"] = new JsonArray([.. branches.Select(b => (JsonNode)AnyValue(path, (JsonObject)b!, element))]) };
        }

        var parts = condition.Count == 1 && condition["$and"] is JsonArray all ? all.Select(a => (JsonObject)a!).ToList() : [condition];
        var operators = new JsonObject();
        foreach (var part in parts)
        {
            if (part.Count != 1 || !part.ContainsKey(string.Empty))
            {
                throw new NotSupportedException($"'{element}' cannot be translated: a condition on plain array values supports comparisons, string StartsWith/Contains, ||, && and ! of those.");
            }

            var value = part[string.Empty];
            var ops = value is JsonObject obj && obj.All(kv => kv.Key.StartsWith('$')) ? obj : new JsonObject { ["$eq"] = value?.DeepClone() };
            foreach (var (op, operand) in ops)
            {
                if (op is "$ne" or "$nin" && (operators.ContainsKey("$ne") || operators.ContainsKey("$nin")))
                {
                    // x != a && x != b on one element: not any of them.
                    JsonNode?[] excluded = [.. Excluded(operators), .. op == "$ne" ? [operand?.DeepClone()] : ((JsonArray)operand!).Select(v => v?.DeepClone())];
                    operators.Remove("$ne");
                    operators["$nin"] = new JsonArray(excluded);
                    continue;
                }

                if (!operators.TryAdd(op, operand?.DeepClone()))
                {
                    throw new NotSupportedException($"'{element}' cannot be translated: it uses {op} twice on the same element.");
                }
            }
        }

        return new JsonObject { [path] = new JsonObject { ["$elemMatch"] = operators } };

        static IEnumerable<JsonNode?> Excluded(JsonObject operators) =>
            operators["$nin"] is JsonArray values ? [.. values.Select(v => v?.DeepClone())] : [operators["$ne"]?.DeepClone()];
    }

    private bool Uses(Expression expression) => ParameterFinder.Uses(expression, _parameter);

    private static NotSupportedException Unsupported(Expression node, string? why = null) =>
        new($"The expression '{node}' cannot be translated to a Baas filter{(why is null ? "." : ": " + why + ".")} " +
            "Supported: ==, !=, <, <=, >, >=, &&, ||, !, bool fields, null checks, string StartsWith/Contains, list.Contains(t.Field), t.Array.Contains(value), t.Array.Any(predicate), Count/Length == n.");
}
