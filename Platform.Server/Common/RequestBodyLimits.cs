using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Common;

/// <summary>
/// <c>Baas:Requests</c>: the largest JSON request body each endpoint family reads. A body over its cap is a 413
/// <c>payload_too_large</c>, refused by its <c>Content-Length</c> before it is read, or as soon as the bytes read
/// pass the cap. Documents and batches have their own caps (<c>Baas:Documents:MaxBytes</c>,
/// <c>Baas:Batch:MaxBytes</c>).
/// </summary>
public sealed class RequestBodyLimits
{
    public const string Section = "Baas:Requests";

    /// <summary>
    /// Credentials, tokens and profiles: <c>/api/auth/*</c>, admin login and setup, and the admin APIs for admins,
    /// users and service keys (default 64 KiB).
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public long AuthMaxBytes { get; set; } = 64 * 1024;

    /// <summary>Collection definitions: schema, indexes and rules (default 1 MiB).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long AdminMaxBytes { get; set; } = 1024 * 1024;
}

/// <summary>Checks <see cref="RequestBodyLimits"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class RequestBodyLimitsValidator : IValidateOptions<RequestBodyLimits>;
