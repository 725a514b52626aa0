namespace Platform.Server.Common;

/// <summary>
/// A client sent something the server cannot accept: <see cref="ErrorKind.Invalid"/> unless said otherwise
/// (<see cref="ErrorKind.TooLarge"/> for size, <see cref="ErrorKind.UnsupportedFormat"/> for content type,
/// <see cref="ErrorKind.Unprocessable"/> for schema). Pure engines (filter, update, rules) throw it; they know
/// nothing of HTTP.
/// </summary>
public class InvalidInputException : DomainException
{
    public InvalidInputException(string code, string message, string? field = null, ErrorKind kind = ErrorKind.Invalid, int? position = null)
        : base(kind, code, message, field, position)
    {
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
    }
}
