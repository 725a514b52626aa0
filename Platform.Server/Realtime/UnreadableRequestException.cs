namespace Platform.Server.Realtime;

/// <summary>
/// A hub call's argument that cannot be read at all (text that is not UTF-8, a length beyond the message's end, nesting
/// past <see cref="StrictMessagePackValues.MaxDepth"/>, a value with no JSON form), thrown while SignalR binds the
/// arguments. SignalR turns it into a binding failure, which <see cref="HubBindingFailure"/> answers with this refusal
/// instead of blaming the number of arguments.
/// </summary>
internal sealed class UnreadableRequestException : Exception
{
    public UnreadableRequestException(string code, string detail, string path)
        : base($"{code}: {detail} (at {path})")
    {
        Code = code;
        Detail = detail;
        Path = path;
    }

    public UnreadableRequestException()
        : this("invalid_request", "The argument cannot be read.", "arguments")
    {
    }

    public UnreadableRequestException(string message)
        : base(message)
    {
        Code = Detail = Path = string.Empty;
    }

    public UnreadableRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = Detail = Path = string.Empty;
    }

    public string Code { get; }

    public string Detail { get; }

    /// <summary>Where the fault is, e.g. <c>filter.tags.$in</c>; empty in an argument read without a name.</summary>
    public string Path { get; }

    /// <summary>The refusal as the hub sends it, with the path put under <paramref name="argument"/>.</summary>
    public string RefusalUnder(string argument) =>
        Code.Length == 0 ? Message : $"{Code}: {Detail} (at {(Path.Length == 0 ? argument : Path[0] == '[' ? argument + Path : argument + "." + Path)})";

    /// <summary>The first <see cref="UnreadableRequestException"/> among an exception and its inner ones, if any.</summary>
    public static UnreadableRequestException? Find(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is UnreadableRequestException unreadable)
            {
                return unreadable;
            }
        }

        return null;
    }
}
