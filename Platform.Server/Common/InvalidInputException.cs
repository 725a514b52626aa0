namespace Platform.Server.Common;

/// <summary>
/// A client sent something the server cannot accept (400 unless said otherwise: 413 for size,
/// 415 for content type, 422 for schema). Pure engines (filter, update, rules) throw it; they know
/// nothing of HTTP beyond the status number.
/// </summary>
public class InvalidInputException : ApiException
{
    public InvalidInputException(string code, string message, string? field = null, int status = 400, int? position = null)
        : base(status, code, message, field, position)
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
