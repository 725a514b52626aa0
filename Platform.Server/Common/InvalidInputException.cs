namespace Platform.Server.Common;

/// <summary>
/// A client sent something the server cannot accept. Mapped to an RFC 7807 response with the
/// given status (400 unless said otherwise), a stable <see cref="Code"/>, and the location at fault.
/// Pure engines (filter, update, rules) throw it; they know nothing of HTTP beyond the status number.
/// </summary>
public class InvalidInputException : Exception
{
    public InvalidInputException(string code, string message, string? field = null, int status = 400, int? position = null)
        : base(message)
    {
        Code = code;
        Field = field;
        Status = status;
        Position = position;
    }

    public InvalidInputException()
        : this("invalid_input", "The input is not valid.")
    {
    }

    public InvalidInputException(string message)
        : this("invalid_input", message)
    {
    }

    public InvalidInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "invalid_input";
        Status = 400;
    }

    /// <summary>Stable machine-readable code, e.g. <c>invalid_filter</c>, <c>unknown_operator</c>.</summary>
    public string Code { get; }

    /// <summary>The field, parameter or JSON path at fault (e.g. <c>filter.$or[1].age.$gt</c>), when known.</summary>
    public string? Field { get; }

    /// <summary>HTTP status to answer with (400, 413, 415, 422...).</summary>
    public int Status { get; }

    /// <summary>0-based character offset in the offending text, when it is text.</summary>
    public int? Position { get; }
}
