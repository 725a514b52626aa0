using Platform.Server.Common;

namespace Platform.Server.Hosting;

/// <summary>
/// Every query parameter of an <c>/api</c> request appears at most once, as every key of a JSON body does (DESIGN.md
/// section 4, "Input"). ASP.NET Core joins a repeated parameter's values with commas, so <c>?sort=a&amp;sort=-b</c> read as
/// the sort <c>a,-b</c>, <c>?fields=a&amp;fields=b</c> as <c>a,b</c> and an admin <c>?search=</c> as both terms, while a
/// repeated <c>limit</c> or <c>filter</c> was refused with a message about "1,2" that named no repetition. Now each is
/// 400 <c>duplicate_parameter</c> naming the parameter, before authentication and before any endpoint reads it.
/// </summary>
internal static class SingleQueryParameters
{
    public const string DuplicateParameter = "duplicate_parameter";

    public static IApplicationBuilder UseBaasSingleQueryParameters(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(static async (context, next) =>
        {
            var request = context.Request;
            if (request.QueryString.HasValue && request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (name, values) in request.Query)
                {
                    if (values.Count > 1)
                    {
                        throw new InvalidInputException(
                            DuplicateParameter,
                            $"The query parameter '{JsonInput.Printable(name)}' is given {values.Count} times; give each parameter once.",
                            JsonInput.Printable(name));
                    }
                }
            }

            await next(context);
        });
    }
}
