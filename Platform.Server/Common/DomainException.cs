namespace Platform.Server.Common;

/// <summary>One problem with one field, as listed in a problem's <c>errors</c> extension.</summary>
/// <param name="Path">Where: a JSON path (<c>items[2].price</c>), a query parameter or a config key.</param>
/// <param name="Message">What is wrong, for a person.</param>
/// <param name="Position">0-based character offset within the offending text, when it is text.</param>
public sealed record FieldError(string Path, string Message, int? Position = null);

/// <summary>
/// A failure the client should see, in domain terms: its <see cref="Kind"/>, a stable <see cref="Code"/> and, when
/// known, the field at fault. Domain code never picks an HTTP status: the exception handler maps the kind to one
/// (<c>Hosting/ProblemMapping</c>) and answers an RFC 7807 <c>application/problem+json</c>.
/// </summary>
public class DomainException : Exception
{
    public DomainException(ErrorKind kind, string code, string message, string? field = null, int? position = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Field = field;
        Position = position;
    }

    public DomainException(ErrorKind kind, string code, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
        Code = code;
    }

    public DomainException()
        : this(ErrorKind.Invalid, "bad_request", "The request is not valid.")
    {
    }

    public DomainException(string message)
        : this(ErrorKind.Invalid, "bad_request", message)
    {
    }

    public DomainException(string message, Exception innerException)
        : this(ErrorKind.Invalid, "bad_request", message, innerException)
    {
    }

    /// <summary>What kind of failure this is; the HTTP status follows from it.</summary>
    public ErrorKind Kind { get; }

    /// <summary>Stable machine-readable code, e.g. <c>invalid_filter</c>, <c>not_found</c>.</summary>
    public string Code { get; }

    /// <summary>The field, parameter or JSON path at fault, when known.</summary>
    public string? Field { get; }

    /// <summary>0-based character offset in the offending text, when it is text.</summary>
    public int? Position { get; }

    /// <summary>Several field problems at once (schema validation, bad rules).</summary>
    public IReadOnlyList<FieldError>? Errors { get; init; }

    /// <summary>
    /// When set, the answer carries <c>Retry-After</c> with this time in whole seconds (and a <c>retryAfter</c>
    /// member): the request may succeed unchanged once it has passed.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Extra members for the problem document (e.g. <c>index</c> for unique violations).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public static DomainException NotFound(string message) => new(ErrorKind.NotFound, "not_found", message);
}
