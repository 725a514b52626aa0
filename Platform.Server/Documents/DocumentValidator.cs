using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>A client document after validation: without system fields, plus the <c>_id</c> it supplied, if any.</summary>
/// <param name="Document">A copy of the body without the system fields.</param>
/// <param name="SuppliedId">The body's <c>_id</c> (already checked), or null when it had none.</param>
public sealed record ValidatedDocument(JsonObject Document, string? SuppliedId);

/// <summary>
/// Checks a document a client sent (DESIGN.md section 3): a JSON object; field names non-empty, not starting
/// with <c>$</c> or <c>_</c>, without <c>.</c>; nesting within <see cref="DocumentLimits.MaxDepth"/>; size within
/// <see cref="DocumentLimits.MaxBytes"/>. The top-level system fields are stripped (the server sets them), except
/// that a supplied <c>_id</c> is checked and returned. Also used on the result of a merge patch or operator
/// update, whose system fields are stripped the same way.
/// </summary>
public sealed class DocumentValidator(IOptions<DocumentLimits> options)
{
    public const string InvalidDocument = "invalid_document";
    public const string InvalidFieldName = "invalid_field_name";
    public const string InvalidId = "invalid_id";
    public const string DocumentTooDeep = "document_too_deep";
    public const string DocumentTooLarge = "document_too_large";

    private readonly DocumentLimits limits = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    /// <summary>The budget of one document's schema check (<see cref="DocumentLimits.SchemaTimeout"/>).</summary>
    public TimeSpan SchemaTimeout => limits.SchemaTimeout;

    /// <summary>Validates <paramref name="body"/> and returns a copy without system fields.</summary>
    public ValidatedDocument Validate(JsonNode? body)
    {
        if (body is not JsonObject obj)
        {
            throw new InvalidInputException(InvalidDocument, "A document must be a JSON object.");
        }

        return Check(obj, copy: true);
    }

    /// <summary>
    /// Validates <paramref name="document"/>, a document the caller owns (e.g. the result of a merge patch or an
    /// operator update on the service's own copy, or the data a <c>before</c> trigger returned), the same way as
    /// <see cref="Validate"/>, but strips the system fields from it and returns it instead of a copy. A document that
    /// fails is left unchanged.
    /// </summary>
    /// <param name="document">The document to check and strip.</param>
    /// <param name="sizeAtMost">
    /// An upper bound of the document's JSON size the caller already knows (e.g. the bound a function run established for
    /// the result that holds it), or null. Within <see cref="DocumentLimits.MaxBytes"/> the document is not serialized
    /// again only to be measured.
    /// </param>
    public ValidatedDocument ValidateOwned(JsonObject document, long? sizeAtMost = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        return Check(document, copy: false, sizeAtMost);
    }

    private ValidatedDocument Check(JsonObject obj, bool copy, long? sizeAtMost = null)
    {
        string? suppliedId = null;
        List<string>? stripped = null;
        var result = copy ? new JsonObject() : obj;
        foreach (var (name, value) in obj)
        {
            if (name == SystemFields.Id)
            {
                suppliedId = CheckId(value);
                (stripped ??= []).Add(name);
                continue;
            }

            if (SystemFields.All.Contains(name))
            {
                (stripped ??= []).Add(name);
                continue;
            }

            CheckName(name, name);
            CheckValue(value, name, 2);
            if (copy)
            {
                result[name] = value?.DeepClone();
            }
        }

        // Measured before an owned document loses its system fields, so a refused one is left as it was given.
        // A known bound within the limit rules the limit out without the walk (the names and depth are still checked).
        var size = sizeAtMost <= limits.MaxBytes ? 0 : SerializedSize(result, copy ? null : stripped);
        if (size > limits.MaxBytes)
        {
            // The whole document is at fault (a PATCH's small body can make it too large), named as schema errors name
            // it; size and limit let a client see by how much.
            throw new InvalidInputException(
                DocumentTooLarge,
                $"The document is {size} bytes; at most {limits.MaxBytes} are allowed.",
                "(document)",
                ErrorKind.TooLarge)
            {
                Extensions = new Dictionary<string, object?> { ["size"] = size, ["limit"] = limits.MaxBytes },
            };
        }

        if (!copy && stripped is not null)
        {
            foreach (var name in stripped)
            {
                obj.Remove(name);
            }
        }

        return new ValidatedDocument(result, suppliedId);
    }

    /// <summary>The <c>_id</c> a body supplied, or a 400 <c>invalid_id</c> naming <c>_id</c> when it is not a valid id.</summary>
    internal static string CheckId(JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && DocumentIds.IsValid(v.GetValue<string>()))
        {
            return v.GetValue<string>();
        }

        throw new InvalidInputException(
            InvalidId,
            "_id must be a string of 1 to 128 letters, digits, '_' or '-'.",
            SystemFields.Id);
    }

    /// <summary>
    /// A field name's rules (400 <c>invalid_field_name</c> naming <paramref name="path"/>): not empty, no leading <c>$</c>,
    /// no <c>.</c>, no control character or <c>"</c>, and no leading <c>_</c> unless <paramref name="systemPrefixAllowed"/>
    /// (profile data, which has no system fields).
    /// </summary>
    internal static void CheckName(string name, string path, bool systemPrefixAllowed = false)
    {
        string? problem = name.Length == 0 ? "must not be empty"
            : name[0] == '$' ? "must not start with '$'"
            : name[0] == '_' && !systemPrefixAllowed ? "must not start with '_' (reserved for system fields)"
            : name.Contains('.', StringComparison.Ordinal) ? "must not contain '.'"
            : FieldPaths.NameProblem(name) ?? InvisibleCharacterProblem(name);
        if (problem is not null)
        {
            // A name too long to be one is cut short in the message; the field still names the whole path.
            var shown = name.Length > 80 ? string.Concat(name.AsSpan(0, 64), "...") : name;
            throw new InvalidInputException(InvalidFieldName, $"The field name '{JsonInput.Printable(shown)}' {problem}.", JsonInput.Printable(path));
        }
    }

    /// <summary>
    /// A name holding an invisible format character (Unicode category Cf: zero-width space and joiners, word joiner, byte
    /// order mark, soft hyphen, the bidirectional controls, tag characters) renders like another name, or reorders the
    /// text around it, wherever names are shown (the dashboard's columns, exports, logs): <c>role\u200b</c> beside
    /// <c>role</c>, or <c>\u202enimda</c> showing as <c>admin</c>. No field name needs one, so writes refuse it; names
    /// already stored stay readable and filterable.
    /// </summary>
    private static string? InvisibleCharacterProblem(string name)
    {
        // Every Cf character is outside ASCII, and nearly every name is ASCII: one vectorized check instead of a rune walk.
        if (Ascii.IsValid(name))
        {
            return null;
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format)
            {
                return $"must not contain invisible format characters such as zero-width or bidirectional controls (found U+{rune.Value:X4})";
            }
        }

        return null;
    }

    private void CheckValue(JsonNode? value, string path, int depth)
    {
        if (value is not (JsonObject or JsonArray))
        {
            return;
        }

        if (depth > limits.MaxDepth)
        {
            throw new InvalidInputException(
                DocumentTooDeep,
                $"The document is nested more than {limits.MaxDepth} levels deep.",
                path);
        }

        if (value is JsonObject obj)
        {
            foreach (var (name, child) in obj)
            {
                var childPath = path + "." + name;
                CheckName(name, childPath);
                CheckValue(child, childPath, depth + 1);
            }
        }
        else
        {
            var index = 0;
            foreach (var child in (JsonArray)value)
            {
                CheckValue(child, $"{path}[{index++}]", depth + 1);
            }
        }
    }

    /// <summary>The size of <paramref name="document"/>'s JSON without the top-level members named in <paramref name="without"/>.</summary>
    private static long SerializedSize(JsonObject document, List<string>? without)
    {
        // Counted, not kept: the writer writes into one pooled scratch buffer over and over.
        using var counter = new CountingBufferWriter();

        // Unescaped, as stores keep it: the default encoder would count 'é' as six bytes (\u00E9).
        using (var writer = new Utf8JsonWriter(counter, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (without is null)
            {
                document.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                foreach (var (name, value) in document)
                {
                    if (!without.Contains(name))
                    {
                        writer.WritePropertyName(name);
                        if (value is null)
                        {
                            writer.WriteNullValue();
                        }
                        else
                        {
                            value.WriteTo(writer);
                        }
                    }
                }

                writer.WriteEndObject();
            }
        }

        return counter.Count;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that counts what is written into a reused, pooled buffer.</summary>
    private sealed class CountingBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);

        public long Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

        public void Dispose() => ArrayPool<byte>.Shared.Return(_scratch);

        private byte[] Scratch(int sizeHint)
        {
            if (sizeHint > _scratch.Length)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = ArrayPool<byte>.Shared.Rent(sizeHint);
            }

            return _scratch;
        }
    }
}
