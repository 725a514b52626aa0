using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Telemetry;

/// <summary><c>Baas:Telemetry</c>: OpenTelemetry metrics and traces (docs/deployment.md, Observability).</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Baas:Telemetry";

    /// <summary>The <c>service.name</c> resource attribute of everything exported. Default <c>baas</c>.</summary>
    [Required]
    [StringLength(100, MinimumLength = 1)]
    public string ServiceName { get; set; } = "baas";

    /// <summary>
    /// Serve the Prometheus scrape endpoint <c>GET /api/admin/metrics</c> (admins and service keys only). Default true.
    /// </summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>OTLP export of metrics and traces; off unless an endpoint is configured.</summary>
    public OtlpTelemetryOptions Otlp { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Otlp.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult(
                "Baas:Telemetry:Otlp:Endpoint must be an absolute http:// or https:// URL, e.g. http://otel-collector:4317.",
                [$"{nameof(Otlp)}.{nameof(OtlpTelemetryOptions.Endpoint)}"]);
        }

        if (Otlp.ExportInterval < TimeSpan.FromSeconds(1) || Otlp.ExportInterval > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult(
                "Baas:Telemetry:Otlp:ExportInterval must be between 00:00:01 and 01:00:00.",
                [$"{nameof(Otlp)}.{nameof(OtlpTelemetryOptions.ExportInterval)}"]);
        }
    }
}

/// <summary><c>Baas:Telemetry:Otlp</c>.</summary>
public sealed class OtlpTelemetryOptions
{
    /// <summary>
    /// The collector's address. When unset, the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> environment variable turns
    /// export on instead (with the other standard <c>OTEL_EXPORTER_OTLP_*</c> variables); with neither, nothing is
    /// exported and no request is traced.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary><c>Grpc</c> (port 4317, the default) or <c>HttpProtobuf</c> (port 4318).</summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.Grpc;

    /// <summary>How often metrics are pushed. Default 60 s.</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The OTLP transport (the names of OpenTelemetry's <c>OtlpExportProtocol</c>). The server's own type, so that binding the
/// options does not load the OTLP exporter's assembly on a server that exports nothing (issue 13, item 5).
/// </summary>
public enum OtlpProtocol
{
    /// <summary>gRPC, port 4317.</summary>
    Grpc,

    /// <summary>Protobuf over HTTP, port 4318.</summary>
    HttpProtobuf,
}

/// <summary>Checks <see cref="TelemetryOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;
