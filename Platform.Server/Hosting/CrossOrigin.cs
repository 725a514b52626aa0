using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Platform.Server.Hosting;

/// <summary>
/// <c>Baas:Cors</c>: which browser origins may call the API (docs/deployment.md, "Browsers on other origins"). Every
/// credential here is a header (a Bearer token or <c>X-Api-Key</c>), never a cookie the browser adds on its own, so
/// answering any origin, as Firebase, Supabase and PocketBase do by default, lets a page use only the credentials
/// it already holds.
/// </summary>
public sealed class CrossOriginOptions : IValidatableObject
{
    public const string Section = "Baas:Cors";

    /// <summary>
    /// <c>*</c> (the default): any origin, without browser credentials. A comma-separated list of origins
    /// (<c>https://app.example.com,http://localhost:5173</c>): only those, with credentials (SignalR's browser client
    /// sends them by default). Empty: no cross-origin access (same-origin pages only).
    /// </summary>
    public string AllowedOrigins { get; set; } = "*";

    /// <summary>How long a browser may cache a preflight answer (default 10 minutes; 0 to 1 day).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>True for <c>*</c>.</summary>
    [JsonIgnore]
    public bool AnyOrigin => AllowedOrigins.Trim() == "*";

    /// <summary>The listed origins (none for <c>*</c> or empty).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Origins => AnyOrigin
        ? []
        : [.. AllowedOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var origin in Origins)
        {
            if (origin == "*")
            {
                yield return new ValidationResult("'*' stands alone; it cannot be listed with other origins.", [nameof(AllowedOrigins)]);
            }
            else if (!IsOrigin(origin))
            {
                yield return new ValidationResult(
                    $"'{origin}' is not an origin: write scheme://host[:port] with http or https and no path, e.g. https://app.example.com.",
                    [nameof(AllowedOrigins)]);
            }
        }
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.AbsolutePath == "/" && !text.EndsWith('/')
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo);
}

/// <summary>Wiring of <see cref="CrossOriginOptions"/>: ASP.NET Core's CORS middleware with one policy built from them.</summary>
internal static class CrossOrigin
{
    private const string Policy = "baas";

    // What a page must be able to read from answers: versions, created locations, rate-limit waits.
    private static readonly string[] ExposedHeaders = [HeaderNames.ETag, HeaderNames.Location, HeaderNames.RetryAfter];

    public static IServiceCollection AddBaasCors(this IServiceCollection services)
    {
        services.AddOptions<CrossOriginOptions>().BindConfiguration(CrossOriginOptions.Section).ValidateWith(new CrossOriginOptionsValidator()).ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CrossOriginOptions>>((cors, settings) =>
            cors.AddPolicy(Policy, policy => Build(policy, settings.Value)));
        return services;
    }

    /// <summary>Between routing and authentication, so a preflight is answered before any credential or rate limit is asked for.</summary>
    public static IApplicationBuilder UseBaasCors(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<CrossOriginOptions>>().Value;
        if (!settings.AnyOrigin && settings.Origins.Count == 0)
        {
            return app;
        }

        // UseCors(Policy), without its reflection binder: CorsMiddleware.Invoke takes the policy provider as a second
        // parameter, for which UseMiddleware compiles an expression tree when the pipeline is built, loading
        // System.Linq.Expressions before the first request (with the realtime hub's dispatcher, MapBaasRealtime; 2 MiB
        // resident; bench/README.md, "h/mem6"). The provider is resolved from the request's services, as the binder does.
        var corsService = app.ApplicationServices.GetRequiredService<ICorsService>();
        var loggers = app.ApplicationServices.GetRequiredService<ILoggerFactory>();
        return app.Use(next =>
        {
            var cors = new CorsMiddleware(next, corsService, loggers, Policy);
            return context => cors.Invoke(context, context.RequestServices.GetRequiredService<ICorsPolicyProvider>());
        });
    }

    private static void Build(CorsPolicyBuilder policy, CrossOriginOptions settings)
    {
        policy.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders(ExposedHeaders).SetPreflightMaxAge(settings.PreflightMaxAge);
        if (settings.AnyOrigin)
        {
            policy.AllowAnyOrigin();
        }
        else
        {
            policy.WithOrigins([.. settings.Origins]).AllowCredentials();
        }
    }
}

/// <summary>Checks <see cref="CrossOriginOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class CrossOriginOptionsValidator : IValidateOptions<CrossOriginOptions>;
