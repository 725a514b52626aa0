using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Platform.Server.Common;

namespace Platform.Server.Hosting;

/// <summary>
/// Declares in the OpenAPI document the problem answers every endpoint can give, from what the endpoint is: a body
/// or parameters can be invalid (400), a body too large or of the wrong type (413, 415), a protected endpoint refuses
/// the wrong caller (401, 403), a route value can name nothing (404), every <c>/api</c> call is rate-limited (429) and
/// can find the store unreachable (503). Statuses come from <see cref="ProblemMapping"/>; answers an endpoint declares
/// itself (<c>.ProducesProblem(...)</c>: 409, 412, 422, ...) are kept, and get the problem+json content when they
/// lack it.
/// </summary>
internal static class ProblemResponses
{
    private const string ProblemJson = "application/problem+json";

    public static OpenApiOptions AddBaasProblemResponses(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddOperationTransformer(TransformAsync);
    }

    /// <summary>The kinds of problem an endpoint with these traits can answer.</summary>
    internal static IReadOnlyList<ErrorKind> KindsFor(bool hasBody, bool hasParameters, bool isProtected, bool hasRouteValues, bool isApi)
    {
        var kinds = new List<ErrorKind>();
        if (hasBody || hasParameters)
        {
            kinds.Add(ErrorKind.Invalid);
        }

        if (isProtected)
        {
            kinds.Add(ErrorKind.Unauthenticated);
            kinds.Add(ErrorKind.Forbidden);
        }

        if (hasRouteValues)
        {
            kinds.Add(ErrorKind.NotFound);
        }

        if (hasBody)
        {
            kinds.Add(ErrorKind.TooLarge);
            kinds.Add(ErrorKind.UnsupportedFormat);
        }

        if (isApi)
        {
            kinds.Add(ErrorKind.RateLimited);
            kinds.Add(ErrorKind.Unavailable);
        }

        return kinds;
    }

    private static async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var path = "/" + (description.RelativePath ?? string.Empty);
        var isProtected = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        var kinds = KindsFor(
            hasBody: operation.RequestBody is not null,
            hasParameters: description.ParameterDescriptions.Count > 0,
            isProtected: isProtected,
            hasRouteValues: path.Contains('{', StringComparison.Ordinal),
            isApi: path.StartsWith("/api/", StringComparison.Ordinal));

        operation.Responses ??= [];
        var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
        foreach (var status in kinds.Select(ProblemMapping.StatusOf).Distinct())
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.ContainsKey(key))
            {
                operation.Responses[key] = new OpenApiResponse { Description = ReasonPhrases.GetReasonPhrase(status) };
            }
        }

        foreach (var (key, response) in operation.Responses)
        {
            if (key.Length == 3 && key[0] is '4' or '5' && response is OpenApiResponse concrete)
            {
                concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
                if (!concrete.Content.ContainsKey(ProblemJson))
                {
                    concrete.Content[ProblemJson] = new OpenApiMediaType { Schema = schema };
                }
            }
        }
    }
}
