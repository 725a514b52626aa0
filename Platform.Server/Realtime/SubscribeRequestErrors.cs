namespace Platform.Server.Realtime;

/// <summary>
/// The refusals of a <c>Subscribe</c> request that cannot be read, as <c>"code: detail (at member)"</c> texts
/// (docs/realtime.md, Errors): one wording for the JSON and the MessagePack protocols and for the hub.
/// </summary>
internal static class SubscribeRequestErrors
{
    private const string Shape = "{ collection, filter?, id?, snapshot?, resumeAfter? }";

    public const string Missing = "invalid_request: Subscribe needs " + Shape + ".";

    public const string NotAnObject = "invalid_request: The argument of Subscribe must be an object " + Shape + ". (at request)";

    /// <summary>
    /// Arguments SignalR could not bind (zero, or more than one): its own answer to that names neither a code nor the
    /// cause.
    /// </summary>
    public const string WrongArguments = "invalid_request: Subscribe takes exactly one argument, the request object " + Shape + "; the call's arguments could not be bound to it. (at arguments)";

    public const string NotAString = "must be a string";

    public const string NotABoolean = "must be true or false";

    public const string NotASequence = "must be a sequence (a string) from an earlier result or event";

    public const string NameNotAString = "invalid_request: The member names of the Subscribe request must be strings. (at request)";

    public static string LoneSurrogate(string member) =>
        $"invalid_unicode: '{member}' holds a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair); text must be valid Unicode. (at {member})";

    /// <summary>A MessagePack <c>str</c> whose bytes are not UTF-8 (a surrogate written as CESU-8 among them): JSON's <see cref="LoneSurrogate"/>.</summary>
    public static string NotUtf8(string member) => StrictMessagePackValues.NotUtf8(member).Message;

    public static string WrongType(string member, string problem) => $"invalid_request: '{member}' {problem}. (at {member})";

    public static string Duplicate(string member) => $"duplicate_key: The member '{member}' appears twice in the Subscribe request; members must be unique. (at {member})";

    public static string Unknown(string member) => $"unknown_field: Unknown member '{member}' (Subscribe takes collection, filter, id, snapshot and resumeAfter). (at {member})";
}
