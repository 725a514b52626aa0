using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Rules;

/// <summary>A filter in MongoDB's notation, for assertions and failure messages; <c>false</c> is match-none.</summary>
public static class FilterText
{
    public static string Of(FilterNode filter) => filter switch
    {
        MatchAllNode => "{}",
        MatchNoneNode => "false",
        AndNode and => $"{{\"$and\":[{string.Join(",", and.Children.Select(Of))}]}}",
        OrNode or => $"{{\"$or\":[{string.Join(",", or.Children.Select(Of))}]}}",
        NorNode nor => $"{{\"$nor\":[{string.Join(",", nor.Children.Select(Of))}]}}",
        FieldNode field => $"{{\"{field.Path}\":{{\"${Operator(field.Operator)}\":{field.Value.GetRawText()}}}}}",
        _ => filter.ToString(),
    };

    private static string Operator(FieldOperator op) => op switch
    {
        FieldOperator.Eq => "eq",
        FieldOperator.Ne => "ne",
        FieldOperator.Gt => "gt",
        FieldOperator.Gte => "gte",
        FieldOperator.Lt => "lt",
        FieldOperator.Lte => "lte",
        FieldOperator.In => "in",
        _ => op.ToString(),
    };
}
