using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using Platform.Sdk.Documents;

namespace Platform.Sdk.Queries;

/// <summary>
/// Turns member access on the lambda parameter (<c>t.Address.City</c>, <c>t.Items[0].Sku</c>) into the
/// stored field path (<c>address.city</c>, <c>items.0.sku</c>) using the serializer's names, with the id
/// property as <c>_id</c>.
/// </summary>
internal sealed class ExpressionPaths(JsonSerializerOptions options, PropertyInfo? idProperty)
{
    /// <summary>The path of a selector such as <c>t =&gt; t.Priority</c>; anything else is not supported.</summary>
    public string GetPath(LambdaExpression selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return TryGetPath(selector.Body, selector.Parameters[0], out var path, out _) && path.Length > 0
            ? path
            : throw new NotSupportedException($"'{selector}' does not select a document field: use member access such as t => t.Priority or t => t.Address.City.");
    }

    /// <summary>True when <paramref name="expression"/> is a field path from <paramref name="parameter"/>; <paramref name="type"/> is its CLR type (without conversions).</summary>
    public bool TryGetPath(Expression expression, ParameterExpression parameter, out string path, out Type type)
    {
        var segments = new List<string>();
        var node = StripConvert(expression);
        type = node.Type;
        if (!Collect(node, parameter, segments))
        {
            path = string.Empty;
            return false;
        }

        path = string.Join('.', segments);
        return true;
    }

    internal static Expression StripConvert(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked or ExpressionType.TypeAs } unary)
        {
            expression = unary.Operand;
        }

        return expression;
    }

    private bool Collect(Expression node, ParameterExpression parameter, List<string> segments)
    {
        node = StripConvert(node);
        switch (node)
        {
            case ParameterExpression p when p == parameter:
                return true;

            case MemberExpression { Member.Name: "Value", Expression: { } owner } when Nullable.GetUnderlyingType(owner.Type) is not null:
                return Collect(owner, parameter, segments);

            case MemberExpression { Expression: { } owner } member:
                if (!Collect(owner, parameter, segments))
                {
                    return false;
                }

                segments.Add(NameOf(member, owner, parameter));
                return true;

            case BinaryExpression { NodeType: ExpressionType.ArrayIndex } index:
                if (!Collect(index.Left, parameter, segments))
                {
                    return false;
                }

                segments.Add(IndexSegment(index.Right, parameter));
                return true;

            case MethodCallExpression { Method.Name: "get_Item", Object: { } owner, Arguments.Count: 1 } indexer:
                if (!Collect(owner, parameter, segments))
                {
                    return false;
                }

                var segment = IndexSegment(indexer.Arguments[0], parameter);
                segments.Add(indexer.Arguments[0].Type == typeof(string) && options.DictionaryKeyPolicy is { } policy ? policy.ConvertName(segment) : segment);
                return true;

            default:
                return false;
        }
    }

    private string NameOf(MemberExpression member, Expression owner, ParameterExpression parameter)
    {
        if (StripConvert(owner) == parameter && idProperty is not null && member.Member.Name == idProperty.Name)
        {
            return "_id";
        }

        return JsonNames.Find(options, owner.Type, member.Member)
            ?? throw new NotSupportedException($"Member '{member.Member.DeclaringType?.Name}.{member.Member.Name}' is not serialized (is it [JsonIgnore] or not public?), so it cannot be queried.");
    }

    private static string IndexSegment(Expression index, ParameterExpression parameter)
    {
        if (ParameterFinder.Uses(index, parameter))
        {
            throw new NotSupportedException($"An index must not depend on the document: '{index}'.");
        }

        var value = Evaluator.Evaluate(index);
        return value switch
        {
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            string s => s,
            _ => throw new NotSupportedException($"Index '{index}' must be an integer (array) or a string (dictionary key)."),
        };
    }
}

/// <summary>Whether an expression refers to the lambda parameter (a document) or can be evaluated up front.</summary>
internal sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
{
    private bool _found;

    public static bool Uses(Expression expression, ParameterExpression parameter)
    {
        var finder = new ParameterFinder(parameter);
        finder.Visit(expression);
        return finder._found;
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        _found |= node == parameter;
        return node;
    }
}

/// <summary>Evaluates captured values (constants, closure fields, method calls) when the query is built.</summary>
internal static class Evaluator
{
    public static object? Evaluate(Expression expression)
    {
        switch (expression)
        {
            case ConstantExpression constant:
                return constant.Value;
            case MemberExpression { Member: FieldInfo field } member:
                return field.GetValue(member.Expression is null ? null : Evaluate(member.Expression));
            case MemberExpression { Member: PropertyInfo property } member:
                return property.GetValue(member.Expression is null ? null : Evaluate(member.Expression));
            case UnaryExpression { NodeType: ExpressionType.Convert, Operand: var operand } convert
                when Nullable.GetUnderlyingType(convert.Type) == operand.Type || convert.Type == typeof(object):
                return Evaluate(operand);
            default:
                var lambda = Expression.Lambda<Func<object?>>(Expression.Convert(expression, typeof(object)));
                return lambda.Compile(preferInterpretation: true)();
        }
    }
}
