using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Telemetry;

/// <summary>
/// OpenTelemetry for the server (DESIGN.md section 12): the <c>Baas</c> meter with ASP.NET Core's, Kestrel's,
/// HttpClient's and the runtime's; the Prometheus scrape endpoint for admins; OTLP export of metrics and of traces
/// (requests, outgoing HTTP calls, store calls) when an endpoint is configured.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The one meter of the server's own instruments (<c>baas.*</c>).</summary>
    public const string MeterName = "Baas";

    /// <summary>
    /// Kestrel's buffer pool meter, which ASP.NET Core's instrumentation turns on: it records on every buffer rent and
    /// return, several times per realtime event sent (the hub's pipe and the socket's), about 2 % of the server's CPU
    /// in a fan-out to 1,000 subscribers (bench/README.md, branch h/rt-sub). Dropped: no Baas dashboard or doc uses it.
    /// </summary>
    internal const string KestrelMemoryPoolMeter = "Microsoft.AspNetCore.MemoryPool";

    // The span attributes that may hold a request's query string: url.query (current semantic conventions), and
    // http.target and url.full, which older conventions or an enricher may set.
    private static readonly string[] QueryAttributes = ["url.query", "http.target", "url.full"];

    /// <summary>The scrape endpoint: under <c>/api/admin</c>, for admins and service keys.</summary>
    public const string ScrapePath = "/api/admin/metrics";

    /// <summary>The standard variable that turns OTLP export on when <c>Baas:Telemetry:Otlp:Endpoint</c> is unset.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddBaasTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateWith(new TelemetryOptionsValidator()).ValidateOnStart();

        // Read here, not from IOptions: which exporters exist is decided while the container is built. A bad value
        // still ends start-up through the validation above.
        var options = new TelemetryOptions();
        try
        {
            configuration.GetSection(TelemetryOptions.Section).Bind(options);
        }
        catch (InvalidOperationException)
        {
            // A value that does not convert: the options validation names it at start-up (ConfigurationCheck).
        }

        var otlp = options.Otlp.Endpoint is not null || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        if (!options.Prometheus && !otlp)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddView(instrument => instrument.Meter.Name == KestrelMemoryPoolMeter ? MetricStreamConfiguration.Drop : null);
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    AddOtlpMetrics(metrics, options.Otlp);
                }
            });

        // Spans cost something only with a listener, so requests are traced only when the traces go somewhere.
        if (otlp)
        {
            AddOtlpTracing(telemetry, options.Otlp);
        }

        return services;
    }

    // The OTLP exporter's calls sit in methods of their own, compiled only when export is configured: a server that
    // exports nothing never loads the exporter's assembly (issue 13, item 5).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOtlpMetrics(MeterProviderBuilder metrics, OtlpTelemetryOptions options) =>
        metrics.AddOtlpExporter((exporter, reader) =>
        {
            Configure(exporter, options, "v1/metrics");
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.ExportInterval.TotalMilliseconds;
        });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOtlpTracing(global::OpenTelemetry.OpenTelemetryBuilder telemetry, OtlpTelemetryOptions options) =>
        telemetry.WithTracing(tracing => tracing
            .AddSource(StorageMetrics.ActivitySourceName)
            .AddAspNetCoreInstrumentation(aspnet =>
            {
                aspnet.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal);
                aspnet.EnrichWithHttpRequest = RedactQuery;
            })
            .AddHttpClientInstrumentation()
            .AddOtlpExporter(exporter => Configure(exporter, options, "v1/traces")));

    /// <summary>
    /// A request span's <c>url.query</c> without credential values (<see cref="QueryStringRedaction"/>): realtime
    /// clients send <c>?access_token=</c>. The instrumentation redacts every query value by default, but one setting
    /// (<c>OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION</c>) turns that off for debugging; tokens
    /// stay out of exported traces even then.
    /// </summary>
    internal static void RedactQuery(Activity activity, HttpRequest request)
    {
        foreach (var attribute in QueryAttributes)
        {
            // url.query holds the query without its '?': marked here so its first parameter reads as one.
            if (activity.GetTagItem(attribute) is string value && QueryStringRedaction.HoldsCredential("?" + value))
            {
                activity.SetTag(attribute, QueryStringRedaction.Redact("?" + value)[1..]);
            }
        }
    }

    /// <summary>Maps <c>GET /api/admin/metrics</c> (Prometheus text format) for admins and service keys, when enabled.</summary>
    public static WebApplication MapBaasTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus)
        {
            // GET (and HEAD) only, like /health: the exporter's endpoint takes every method, so a POST or DELETE scraped.
            app.MapPrometheusScrapingEndpoint(ScrapePath)
                .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
                .RequireAuthorization(BaasPolicies.AdminOrService)
                .WithName("ScrapeMetrics")
                .WithSummary("Prometheus scrape endpoint (admins and service keys)")
                .ExcludeFromDescription();
        }

        return app;
    }

    private static void Configure(OtlpExporterOptions exporter, OtlpTelemetryOptions options, string signalPath)
    {
        // Without Baas:Telemetry:Otlp:Endpoint the exporter keeps what the OTEL_EXPORTER_OTLP_* variables say.
        if (options.Endpoint is not { } endpoint)
        {
            return;
        }

        exporter.Protocol = options.Protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;

        // A programmatic endpoint is used as is, so over HTTP it needs the signal's path (the environment variable
        // gets it appended by the exporter): the setting stays the collector's base address either way.
        exporter.Endpoint = options.Protocol == OtlpProtocol.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
            : endpoint;
    }
}
