using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions;

/// <summary><c>Baas:Functions</c>: limits and defaults of functions (DESIGN.md section 9).</summary>
public sealed class FunctionOptions : IValidatableObject
{
    public const string Section = "Baas:Functions";

    public const int DefaultTimeoutSeconds = 10;
    public const int DefaultMemoryMb = 32;
    public const int DefaultRetries = 3;

    /// <summary>Largest <c>timeoutSeconds</c> a definition may ask for.</summary>
    [Range(1, 3600)]
    public int MaxTimeoutSeconds { get; set; } = 300;

    /// <summary>Largest <c>memoryMb</c> a definition may ask for.</summary>
    [Range(1, 4096)]
    public int MaxMemoryMb { get; set; } = 256;

    /// <summary>Largest <c>retries</c> a definition may ask for.</summary>
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 10;

    /// <summary>Statements one run may execute (Jint's statement limit).</summary>
    [Range(1_000, int.MaxValue)]
    public int MaxStatements { get; set; } = 10_000_000;

    /// <summary>Deepest JavaScript call recursion (Jint's recursion limit; the stack guard is always on too).</summary>
    [Range(10, 10_000)]
    public int MaxRecursion { get; set; } = 256;

    /// <summary>Largest code of one function, in characters.</summary>
    [Range(1, 10_000_000)]
    public int MaxCodeLength { get; set; } = 256 * 1024;

    /// <summary>Budget of a <c>before</c> trigger run (it holds up the write).</summary>
    public TimeSpan BeforeTriggerTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest callable <c>args</c> (serialized UTF-8 bytes); larger is 413.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxArgsBytes { get; set; } = 64 * 1024;

    /// <summary>Largest result kept in a run record and answered by a callable; larger is a failed run.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxResultBytes { get; set; } = 1024 * 1024;

    /// <summary>Log lines kept per run (further lines are counted, not kept).</summary>
    [Range(1, 100_000)]
    public int MaxLogLines { get; set; } = 100;

    /// <summary>Log bytes kept per run.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxLogBytes { get; set; } = 64 * 1024;

    /// <summary>Largest <c>ctx.fetch</c> answer read (DESIGN: 5 MiB).</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxFetchResponseBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Default and largest <c>timeoutMs</c> of one <c>ctx.fetch</c>.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A chain of functions triggering each other stops at this depth (DESIGN: 8).</summary>
    [Range(1, 64)]
    public int MaxChainDepth { get; set; } = 8;

    /// <summary>Engines kept ready per node, so a run does not pay for a new engine's set-up.</summary>
    [Range(0, 1024)]
    public int EnginePoolSize { get; set; } = 8;

    /// <summary>Runs executing at once on one node; more wait (callables get 503 when the wait is too long).</summary>
    [Range(1, 1024)]
    public int MaxConcurrentRuns { get; set; } = 16;

    /// <summary>
    /// Callable run records waiting to be written (they are written off the request path, in groups); a call that
    /// finds the queue full waits for room.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPendingRunRecords { get; set; } = 10_000;

    /// <summary>Most callable run records written in one store write.</summary>
    [Range(1, 10_000)]
    public int RunRecordsPerCommit { get; set; } = 256;

    /// <summary>How long a node trusts its cached function definitions (changes on the same node are immediate).</summary>
    public TimeSpan DefinitionCacheTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long run records are kept (DESIGN: 7 days).</summary>
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>First retry delay of a failed trigger or schedule run; doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BeforeTriggerTimeout <= TimeSpan.Zero || BeforeTriggerTimeout > TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult("must be more than 0 and at most 00:01:00.", [nameof(BeforeTriggerTimeout)]);
        }

        if (FetchTimeout <= TimeSpan.Zero || FetchTimeout > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult("must be more than 0 and at most 00:10:00.", [nameof(FetchTimeout)]);
        }

        if (DefinitionCacheTime < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative.", [nameof(DefinitionCacheTime)]);
        }

        if (RunRetention <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0.", [nameof(RunRetention)]);
        }

        if (RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay)
        {
            yield return new ValidationResult("RetryDelay must be more than 0 and MaxRetryDelay at least RetryDelay.", [nameof(RetryDelay), nameof(MaxRetryDelay)]);
        }
    }
}

/// <summary>Checks <see cref="FunctionOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class FunctionOptionsValidator : IValidateOptions<FunctionOptions>;
