using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Admin;
using Platform.Server.AdminTools;
using Platform.Server.Audit;
using Platform.Server.Auth;
using Platform.Server.Collections;
using Platform.Server.Dashboard;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Email;
using Platform.Server.Functions;
using Platform.Server.Memory;
using Platform.Server.RateLimiting;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Telemetry;
using Platform.Server.Users;

namespace Platform.Server.Hosting;

/// <summary>The composition root: every feature is wired here and nowhere else.</summary>
public static class BaasServerExtensions
{
    /// <summary>The address served when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://localhost:8090";

    public static WebApplicationBuilder AddBaasServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.UseBaasDashboardAssets();
        builder.UseBaasSafeLogging();
        var services = builder.Services;
        services.AddOptions<BaasOptions>().BindConfiguration(BaasOptions.Section).ValidateWith(new BaasOptionsValidator()).ValidateOnStart();
        services.AddOptions<RequestBodyLimits>().BindConfiguration(RequestBodyLimits.Section).ValidateWith(new RequestBodyLimitsValidator()).ValidateOnStart();
        services.AddOptions<RequestHeadLimits>().BindConfiguration(RequestHeadLimits.Section).ValidateWith(new RequestHeadLimitsValidator()).ValidateOnStart();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, RequestHeadLimitsSetup>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemCodes.AddDefaultCode);
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();

        // Model-binding failures (malformed or mistyped JSON bodies) reach the exception handler, which
        // names the position or field at fault, instead of becoming a bare 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddOpenApi(options => options.AddBaasProblemResponses());
        services.AddBaasCors();

        // The key ring: in the data dir, or in the store (encrypted) when Baas:DataProtection:Key is set.
        var dataDir = Path.GetFullPath(builder.Configuration[$"{BaasOptions.Section}:{nameof(BaasOptions.DataDir)}"] ?? new BaasOptions().DataDir);
        services.AddBaasDataProtection(builder.Configuration, dataDir);
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: ["ready"])
            .AddCheck<DrainingHealthCheck>("draining", tags: ["ready"]);

        // SIGTERM drains (docs/deployment.md): the grace period is the host's shutdown timeout.
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateWith(new ShutdownOptionsValidator()).ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.GracePeriod);

        services.AddBaasStorage(builder.Configuration);
        services.AddBaasAuth(builder.Configuration);
        services.AddBaasAdmin(builder.Configuration);
        services.AddBaasUsers(builder.Configuration);
        services.AddBaasCollections();
        services.AddBaasDocuments();
        services.AddBaasEmail(builder.Configuration);
        services.AddBaasRateLimiting(builder.Configuration);
        services.AddBaasRealtime(builder.Configuration);
        services.AddBaasFunctions(builder.Configuration);
        services.AddBaasAudit();
        services.AddBaasAdminTools();
        services.AddBaasTelemetry(builder.Configuration);
        services.AddBaasMemory();

        services.AddHostedService<GracefulShutdown>();
        services.AddHostedService<UnknownSettingsWarning>();

        // Last, after every registration that adds Data Protection: its key ring is read at first use, not at start.
        services.RemoveDataProtectionKeyRingPreload();
        return builder;
    }

    public static WebApplication MapBaasApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // First: every request counts as activity, so the idle memory trim never runs while one is in flight.
        app.UseBaasRequestActivity();

        // Then: an over-long target or header section is refused (problem+json) before anything reads it.
        app.UseBaasRequestHeadLimits();

        // Before routing, which runs here rather than first: a HEAD must be matched as the GET it stands for.
        app.UseBaasHeadRequests();
        app.UseRouting();
        app.UseExceptionHandler();
        app.UseBaasStatusCodePages();
        // CORS first, so that a refusal below (a repeated query parameter) still carries the headers a page needs to read it.
        app.UseBaasCors();
        app.UseBaasSingleQueryParameters();
        app.UseBaasDashboardHeaders();
        app.UseAuthentication();
        app.UseBaasRateLimiting();
        app.UseAuthorization();
        app.UseBaasDashboard();

        app.MapOpenApi();
        // GET (and HEAD, which UseBaasHeadRequests routes as GET) only: MapHealthChecks takes every method, so a POST or a
        // DELETE to /health answered 200 "Healthy" instead of 405 with Allow like every other endpoint.
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false }).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));

        app.MapBaasAdminEndpoints();
        app.MapOutboxEndpoints();
        app.MapBaasUserEndpoints().RequireRateLimiting(RateLimitPolicies.Auth);
        app.MapAdminUserEndpoints();
        app.MapCollectionEndpoints().RequireAuthorization(BaasPolicies.AdminOrService);

        // Open to everyone: collection rules decide (service keys and admins bypass them).
        app.MapDocumentEndpoints().RequireAuthorization(BaasPolicies.AnyCaller);
        app.MapBatchEndpoints().RequireAuthorization(BaasPolicies.AnyCaller);
        app.MapBaasRealtime();
        app.MapRealtimeAdminEndpoints();
        app.MapRealtimeTicketEndpoints();
        app.MapBaasTelemetry();
        app.MapAuditEndpoints();
        app.MapAdminToolsEndpoints();
        app.MapFunctionEndpoints();
        return app;
    }
}
