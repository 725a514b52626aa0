using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Common;

/// <summary>
/// Reads a JSON request body by hand rather than through model binding, so that every failure
/// (wrong content type, too large, malformed, not an object) becomes a precise problem+json:
/// 415, 413 and 400 with the line and position at fault.
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
                status: StatusCodes.Status415UnsupportedMediaType);
        }

        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var length ? (int)length : 4096);
        var body = request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw new InvalidInputException("invalid_body", "The request body is empty; a JSON document is required.", "body");
        }

        try
        {
            return JsonNode.Parse(buffer.WrittenSpan, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException ex) when (DuplicateKey(ex) is { } key)
        {
            // DESIGN.md section 4: a repeated key is 400 duplicate_key naming it (rather than a 500 when the object is read).
            throw new InvalidInputException("duplicate_key", $"The key '{key}' appears twice in one object of the request body.", key);
        }
        catch (JsonException ex)
        {
            var depthExceeded = ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            throw new InvalidInputException(
                depthExceeded ? "json_too_deep" : "malformed_json",
                depthExceeded
                    ? $"The JSON is nested deeper than {maxDepth} levels, more than this endpoint accepts."
                    : $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).",
                "body",
                position: ex.BytePositionInLine is { } pos ? (int)pos : null);
        }
    }

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

    private static string? DuplicateKey(JsonException ex)
    {
        const string prefix = "Duplicate property '";
        var message = ex.Message;
        if (!message.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = message.IndexOf("' encountered", prefix.Length, StringComparison.Ordinal);
        return end > prefix.Length ? message[prefix.Length..end] : null;
    }

    private static InvalidInputException TooLarge(long maxBytes) =>
        new("payload_too_large", $"The request body is larger than {maxBytes} bytes.", "body", StatusCodes.Status413PayloadTooLarge);

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
