using System.Globalization;
using MessagePack;
using MessagePack.Formatters;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads the MessagePack argument of <c>Subscribe</c> as strictly as <see cref="SubscribeRequestJsonConverter"/> reads the
/// JSON one, and never fails the binding: the default resolver skipped a member it did not know (a misspelt
/// <c>resumeafter</c> started live without the missed events, where JSON refused it as <c>unknown_field</c>) and failed
/// the whole call, with SignalR's bare error, on a member of the wrong type. Each of those is recorded in
/// <see cref="SubscribeRequest.BindingError"/> for the hub to refuse. The filter is read by the protocol's own formatter for
/// <see cref="object"/> (maps become dictionaries), as it was.
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

        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            reader.Skip();
            return new SubscribeRequest { BindingError = SubscribeRequestErrors.NotAnObject };
        }

        var request = new SubscribeRequest();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var count = reader.ReadMapHeader();
        options.Security.DepthStep(ref reader);
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    reader.Skip();
                    reader.Skip();
                    request.BindingError ??= SubscribeRequestErrors.NameNotAString;
                    continue;
                }

                var name = reader.ReadString()!;
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
                        request.Filter = reader.TryReadNil() ? null : options.Resolver.GetFormatterWithVerify<object>().Deserialize(ref reader, options);
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

        return request;
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
            return reader.ReadString();
        }

        return Fail(ref reader, request, member, SubscribeRequestErrors.NotAString);
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
            return reader.ReadString();
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
