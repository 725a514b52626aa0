using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Platform.Server.Common;

/// <summary>
/// Reads a JSON request body by hand rather than through model binding, so that every failure
/// (wrong content type, too large, malformed, not an object) becomes a precise problem+json:
/// 415, 413 and 400 with the line and position at fault. Every body obeys <see cref="JsonInput"/>'s rules
/// (unique keys, valid Unicode), and a body larger than its endpoint's cap is refused by its
/// <c>Content-Length</c> before a byte is read, or as soon as the bytes read pass the cap.
/// </summary>
public static class JsonBody
{
    /// <summary>Reads the body as a JSON object of at most <paramref name="maxBytes"/> bytes.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long maxBytes, int maxDepth, CancellationToken cancellationToken)
    {
        var node = await ReadAsync(request, maxBytes, maxDepth, cancellationToken);
        return node as JsonObject ?? throw new InvalidInputException(
            "invalid_body", $"The request body must be a JSON object, not {Describe(node)}.", "body");
    }

    /// <summary>Reads the body as any JSON value of at most <paramref name="maxBytes"/> bytes.</summary>
    public static async Task<JsonNode?> ReadAsync(HttpRequest request, long maxBytes, int maxDepth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJsonContentType(request.ContentType))
        {
            throw new InvalidInputException(
                "unsupported_media_type",
                $"Content-Type must be application/json (was '{request.ContentType ?? "none"}').",
                "Content-Type",
                kind: ErrorKind.UnsupportedFormat);
        }

        if (NonUtf8Charset(request.ContentType) is { } charset)
        {
            // RFC 8259, section 8.1: JSON between systems is UTF-8. A body declared UTF-16 or Latin-1 was read as UTF-8
            // anyway (a UTF-16 body became "malformed", a Latin-1 one stored other characters than were sent).
            throw new InvalidInputException(
                "unsupported_media_type",
                $"The body must be UTF-8 JSON; charset '{charset}' is not supported (was '{request.ContentType}').",
                "Content-Type",
                kind: ErrorKind.UnsupportedFormat);
        }

        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        // A pooled buffer (issue 13, item 4): the parsed nodes own copies of what they need, so the bytes go back to the
        // pool once parsed. Sized by Content-Length (+1 so the read that finds the end needs no larger buffer).
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var length ? (int)length + 1 : 4096);
        var written = 0;
        try
        {
            var body = request.Body;
            while (true)
            {
                if (written == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(written), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                written += read;
                if (written > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }

            if (written == 0)
            {
                throw new InvalidInputException("invalid_body", "The request body is empty; a JSON document is required.", "body");
            }

            var json = buffer.AsSpan(0, written);

            // RFC 8259, section 8.1: a parser may ignore a leading byte order mark, which some clients' UTF-8 writers add.
            if (json.StartsWith("\uFEFF"u8))
            {
                json = json[3..];
            }

            JsonInput.Validate(json, maxDepth);
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException ex)
        {
            // "The maximum configured depth of N has been exceeded"; not "Expected depth to be zero at the end of the
            // JSON payload", which is a truncated body (malformed, not too deep).
            var depthExceeded = ex.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase);
            throw new InvalidInputException(
                depthExceeded ? "json_too_deep" : "malformed_json",
                depthExceeded
                    ? $"The JSON is nested deeper than {maxDepth} levels, more than this endpoint accepts."
                    : $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).",
                "body",
                position: ex.BytePositionInLine is { } pos ? (int)pos : null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the body as a JSON object and binds it to <typeparamref name="T"/> (used instead of minimal-API body
    /// binding, which reads any size and lets a repeated key silently win). A member of the wrong type is 400
    /// <c>invalid_body</c> naming it.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, long maxBytes, int maxDepth, JsonSerializerOptions options, CancellationToken cancellationToken) =>
        Bind<T>(await ReadObjectAsync(request, maxBytes, maxDepth, cancellationToken), options);

    /// <summary>
    /// Refuses a member not in <paramref name="fields"/> (ordinal): 400 <c>unknown_field</c> naming it, so a misspelt or
    /// unsupported field is reported instead of ignored as though it had been applied.
    /// </summary>
    public static void OnlyFields(JsonObject body, params string[] fields)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var (key, _) in body)
        {
            if (Array.IndexOf(fields, key) < 0)
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (allowed: {string.Join(", ", fields)}).", key);
            }
        }
    }

    private static T Bind<T>(JsonObject body, JsonSerializerOptions options)
    {
        try
        {
            return body.Deserialize<T>(options) ?? throw new InvalidInputException("invalid_body", "The request body must be a JSON object.", "body");
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.StartsWith("$.", StringComparison.Ordinal) ? ex.Path[2..] : ex.Path;
            throw new InvalidInputException("invalid_body", field == "body" ? "The request body is not the JSON object this endpoint expects." : $"'{field}' has the wrong type.", field);
        }
    }

    /// <summary>Deepest nesting of the small bodies of the auth and admin endpoints.</summary>
    public const int AuthMaxDepth = 32;

    /// <summary>Reads a credentials-style body (auth and admin endpoints) under <see cref="RequestBodyLimits.AuthMaxBytes"/>.</summary>
    public static Task<JsonObject> ReadAuthObjectAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ReadObjectAsync(context.Request, AuthMaxBytes(context), AuthMaxDepth, cancellationToken);
    }

    /// <summary>
    /// Binds a credentials-style body (auth and admin endpoints) under <see cref="RequestBodyLimits.AuthMaxBytes"/>; a member
    /// other than <paramref name="fields"/> is 400 <c>unknown_field</c> naming it.
    /// </summary>
    public static async Task<T> ReadAuthAsync<T>(HttpContext context, string[] fields, CancellationToken cancellationToken)
    {
        var body = await ReadAuthObjectAsync(context, cancellationToken);
        OnlyFields(body, fields);
        return Bind<T>(body, JsonSerializerOptions.Web);
    }

    private static long AuthMaxBytes(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<RequestBodyLimits>>().Value.AuthMaxBytes;

    internal static bool IsJsonContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The <c>charset</c> parameter of <paramref name="contentType"/> when it names anything but UTF-8, else null.</summary>
    internal static string? NonUtf8Charset(string? contentType)
    {
        // Most bodies declare no charset: no header parse (and its allocation) on every write for them.
        if (contentType is null
            || !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !parsed.Charset.HasValue)
        {
            return null;
        }

        var charset = parsed.Charset.Value.Trim('"');
        return charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? null
            : charset;
    }

    private static InvalidInputException TooLarge(long maxBytes) =>
        new("payload_too_large", $"The request body is larger than {maxBytes} bytes.", "body", ErrorKind.TooLarge);

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
        _ => "an object",
    };
}
