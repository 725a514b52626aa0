using System.Globalization;
using MessagePack;
using MessagePack.Formatters;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads the MessagePack argument of <c>Subscribe</c> as strictly as <see cref="SubscribeRequestJsonConverter"/> reads the
/// JSON one, and never fails the binding: the default resolver skipped a member it did not know (a misspelt
/// <c>resumeafter</c> started live without the missed events, where JSON refused it as <c>unknown_field</c>) and failed
/// the whole call, with SignalR's bare error, on a member of the wrong type. Each of those is recorded in
/// <see cref="SubscribeRequest.BindingError"/> for the hub to refuse. Text is read as strictly as the JSON protocol reads
/// it (<see cref="StrictMessagePackValues"/>): bytes that are not UTF-8 are <c>invalid_unicode</c> naming the member, where
/// the library's reading put U+FFFD in their place. What cannot be read past (a length beyond the message's end) and what
/// the filter cannot hold are thrown as <see cref="UnreadableRequestException"/>, which <see cref="HubBindingFailure"/>
/// answers.
/// </summary>
internal sealed class SubscribeRequestMessagePackFormatter : IMessagePackFormatter<SubscribeRequest?>
{
    public SubscribeRequest? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (reader.TryReadNil())
        {
            return null;
        }

        var request = new SubscribeRequest();
        var at = "request";
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                reader.Skip();
                request.BindingError = SubscribeRequestErrors.NotAnObject;
                return request;
            }

            ReadMembers(ref reader, request, options, ref at);
        }
        catch (Exception ex) when (ex is EndOfStreamException or MessagePackSerializationException)
        {
            throw Unreadable(request, StrictMessagePackValues.Truncated(at));
        }
        catch (UnreadableRequestException ex)
        {
            throw Unreadable(request, ex);
        }

        return request;
    }

    // The first fault of the request is the one refused, as over JSON, even when a later one stops the reading.
    private static UnreadableRequestException Unreadable(SubscribeRequest request, UnreadableRequestException fault) =>
        request.BindingError is { } first ? new UnreadableRequestException(first) : fault;

    private static void ReadMembers(ref MessagePackReader reader, SubscribeRequest request, MessagePackSerializerOptions options, ref string at)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var count = reader.ReadMapHeader();
        options.Security.DepthStep(ref reader);
        try
        {
            for (var i = 0; i < count; i++)
            {
                at = "request";
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    reader.Skip();
                    reader.Skip();
                    request.BindingError ??= SubscribeRequestErrors.NameNotAString;
                    continue;
                }

                if (!StrictMessagePackValues.TryReadString(ref reader, out var name) || name is null)
                {
                    reader.Skip();
                    request.BindingError ??= SubscribeRequestErrors.NotUtf8("request");
                    continue;
                }

                at = name;
                if (!seen.Add(name))
                {
                    reader.Skip();
                    request.BindingError ??= SubscribeRequestErrors.Duplicate(name);
                    continue;
                }

                switch (name)
                {
                    case "collection":
                        request.Collection = ReadString(ref reader, request, name);
                        break;
                    case "id":
                        request.Id = ReadString(ref reader, request, name);
                        break;
                    case "filter":
                        request.Filter = StrictMessagePackValues.Read(ref reader, "filter", "invalid_filter");
                        break;
                    case "snapshot":
                        request.Snapshot = ReadBoolean(ref reader, request, name);
                        break;
                    case "resumeAfter":
                        request.ResumeAfter = ReadSequence(ref reader, request, name);
                        break;
                    default:
                        reader.Skip();
                        request.BindingError ??= SubscribeRequestErrors.Unknown(name);
                        break;
                }
            }
        }
        finally
        {
            reader.Depth--;
        }
    }

    public void Serialize(ref MessagePackWriter writer, SubscribeRequest? value, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var members = 1 + (value.Filter is null ? 0 : 1) + (value.Id is null ? 0 : 1) + (value.Snapshot is null ? 0 : 1) + (value.ResumeAfter is null ? 0 : 1);
        writer.WriteMapHeader(members);
        writer.Write("collection");
        writer.Write(value.Collection);
        if (value.Filter is not null)
        {
            writer.Write("filter");
            options.Resolver.GetFormatterWithVerify<object>().Serialize(ref writer, value.Filter, options);
        }

        if (value.Id is not null)
        {
            writer.Write("id");
            writer.Write(value.Id);
        }

        if (value.Snapshot is { } snapshot)
        {
            writer.Write("snapshot");
            writer.Write(snapshot);
        }

        if (value.ResumeAfter is not null)
        {
            writer.Write("resumeAfter");
            writer.Write(value.ResumeAfter);
        }
    }

    private static string? ReadString(ref MessagePackReader reader, SubscribeRequest request, string member)
    {
        if (reader.NextMessagePackType is MessagePackType.String or MessagePackType.Nil)
        {
            return Text(ref reader, request, member);
        }

        return Fail(ref reader, request, member, SubscribeRequestErrors.NotAString);
    }

    private static string? Text(ref MessagePackReader reader, SubscribeRequest request, string member)
    {
        if (StrictMessagePackValues.TryReadString(ref reader, out var text))
        {
            return text;
        }

        request.BindingError ??= SubscribeRequestErrors.NotUtf8(member);
        return null;
    }

    private static bool? ReadBoolean(ref MessagePackReader reader, SubscribeRequest request, string member)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (reader.NextMessagePackType == MessagePackType.Boolean)
        {
            return reader.ReadBoolean();
        }

        Fail(ref reader, request, member, SubscribeRequestErrors.NotABoolean);
        return null;
    }

    // The sequence string, or the same number without quotes, as over JSON.
    private static string? ReadSequence(ref MessagePackReader reader, SubscribeRequest request, string member)
    {
        if (reader.NextMessagePackType is MessagePackType.String or MessagePackType.Nil)
        {
            return Text(ref reader, request, member);
        }

        if (reader.NextMessagePackType == MessagePackType.Integer)
        {
            var peek = reader.CreatePeekReader();
            reader.Skip();
            try
            {
                return peek.ReadInt64().ToString(CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                request.BindingError ??= SubscribeRequestErrors.WrongType(member, SubscribeRequestErrors.NotASequence);
                return null;
            }
        }

        return Fail(ref reader, request, member, SubscribeRequestErrors.NotASequence);
    }

    private static string? Fail(ref MessagePackReader reader, SubscribeRequest request, string member, string problem)
    {
        reader.Skip();
        request.BindingError ??= SubscribeRequestErrors.WrongType(member, problem);
        return null;
    }
}
