using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads the JSON argument of <c>Subscribe</c> without ever failing the binding: SignalR answers a binding failure
/// with a bare "Failed to invoke 'Subscribe' due to an error on the server" that names no code and no field. A member
/// of the wrong type (or an argument that is not an object) is recorded in <see cref="SubscribeRequest.BindingError"/>
/// instead, and the hub refuses it as <c>invalid_request</c> naming the member (docs/realtime.md, Errors).
/// <c>resumeAfter</c> may be the <c>sequence</c> string or the same number written without quotes. As REST bodies are, the
/// request is strict (as <see cref="SubscribeRequestMessagePackFormatter"/> is over MessagePack): a member it does not know (a typo such as <c>resumeafter</c> would otherwise silently start live,
/// without the missed events) is <c>unknown_field</c>, and a member given twice is <c>duplicate_key</c>.
/// </summary>
internal sealed class SubscribeRequestJsonConverter : JsonConverter<SubscribeRequest>
{
    public override SubscribeRequest? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new SubscribeRequest { BindingError = SubscribeRequestErrors.NotAnObject };
        }

        var request = new SubscribeRequest();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = Text(ref reader, request, "request");
            reader.Read();
            if (name is null)
            {
                reader.Skip();
                continue;
            }

            if (!seen.Add(name))
            {
                reader.Skip();
                request.BindingError ??= SubscribeRequestErrors.Duplicate(name);
                continue;
            }

            switch (name)
            {
                case "collection":
                    request.Collection = ReadString(ref reader, request, "collection");
                    break;
                case "id":
                    request.Id = ReadString(ref reader, request, "id");
                    break;
                case "filter":
                    request.Filter = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);
                    break;
                case "snapshot":
                    request.Snapshot = reader.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False => false,
                        JsonTokenType.Null => null,
                        _ => Fail(ref reader, request, "snapshot", SubscribeRequestErrors.NotABoolean),
                    };
                    break;
                case "resumeAfter":
                    request.ResumeAfter = reader.TokenType switch
                    {
                        JsonTokenType.String => Text(ref reader, request, "resumeAfter"),
                        JsonTokenType.Number when reader.TryGetInt64(out var sequence) => sequence.ToString(CultureInfo.InvariantCulture),
                        JsonTokenType.Null => null,
                        _ => FailString(ref reader, request, "resumeAfter", SubscribeRequestErrors.NotASequence),
                    };
                    break;
                default:
                    reader.Skip();
                    request.BindingError ??= SubscribeRequestErrors.Unknown(name);
                    break;
            }
        }

        return request;
    }

    public override void Write(Utf8JsonWriter writer, SubscribeRequest value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("collection", value.Collection);
        if (value.Filter is not null)
        {
            writer.WritePropertyName("filter");
            JsonSerializer.Serialize(writer, value.Filter, options);
        }

        if (value.Id is not null)
        {
            writer.WriteString("id", value.Id);
        }

        if (value.Snapshot is { } snapshot)
        {
            writer.WriteBoolean("snapshot", snapshot);
        }

        if (value.ResumeAfter is not null)
        {
            writer.WriteString("resumeAfter", value.ResumeAfter);
        }

        writer.WriteEndObject();
    }

    private static string? ReadString(ref Utf8JsonReader reader, SubscribeRequest request, string member) => reader.TokenType switch
    {
        JsonTokenType.String => Text(ref reader, request, member),
        JsonTokenType.Null => null,
        _ => FailString(ref reader, request, member, SubscribeRequestErrors.NotAString),
    };

    /// <summary>
    /// The string at the reader, or null with the refusal recorded: an escaped lone surrogate (<c>"\ud800"</c>) has no
    /// string form, and GetString's exception failed the binding with a text that blamed the number of arguments.
    /// </summary>
    private static string? Text(ref Utf8JsonReader reader, SubscribeRequest request, string member)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            request.BindingError ??= SubscribeRequestErrors.LoneSurrogate(member);
            return null;
        }
    }

    private static string? FailString(ref Utf8JsonReader reader, SubscribeRequest request, string member, string problem)
    {
        Fail(ref reader, request, member, problem);
        return null;
    }

    private static bool? Fail(ref Utf8JsonReader reader, SubscribeRequest request, string member, string problem)
    {
        reader.Skip();
        request.BindingError ??= SubscribeRequestErrors.WrongType(member, problem);
        return null;
    }
}
