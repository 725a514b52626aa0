using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Hosting;

namespace Platform.Server.AdminTools;

/// <summary>Upload formats of an import.</summary>
public enum ImportFormat
{
    Ndjson,
    Json,
    Csv,
}

/// <summary>How an import writes a row.</summary>
public enum ImportMode
{
    /// <summary>Create every row; a row whose <c>_id</c> exists fails.</summary>
    Insert,

    /// <summary>A row with an <c>_id</c> replaces that document or creates it; a row without one is created.</summary>
    Upsert,
}

/// <summary>One row an import could not write.</summary>
/// <param name="Row">NDJSON: the line number; JSON array: the element's position; CSV: the data record's position (header not counted). All 1-based.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Code">The problem code the same write would get from the documents API (e.g. <c>schema_validation</c>, <c>already_exists</c>).</param>
public sealed record ImportError(long Row, string Message, string Code)
{
    /// <summary>
    /// For <c>malformed_json</c>: the 1-based byte within the row's text (the NDJSON line, the JSON-array element) where
    /// it stops being JSON; absent otherwise.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? Column { get; init; }
}

/// <summary>What an import did.</summary>
/// <param name="Inserted">Documents created.</param>
/// <param name="Updated">Documents replaced (upsert mode only).</param>
/// <param name="Failed">Rows not written.</param>
/// <param name="Errors">The first <see cref="AdminToolsOptions.ImportMaxErrors"/> failures.</param>
/// <param name="Complete">False when the import stopped before the end of the upload (row limit, or an upload that cannot be read further).</param>
public sealed record ImportResult(long Inserted, long Updated, long Failed, IReadOnlyList<ImportError> Errors, bool Complete);

/// <summary>
/// Streams an upload into a collection: rows are read one at a time (the upload is never held whole), grouped into
/// pages of <see cref="AdminToolsOptions.PageSize"/>, and each page is written through the <see cref="DocumentService"/>
/// as one batch (schema, system fields, change feed as for any write). A bad row is reported and skipped; the others
/// are written.
/// </summary>
public sealed class ImportService(DocumentService documents, IOptions<AdminToolsOptions> options)
{
    private sealed record Row(long Number, JsonObject? Document, ImportError? Error);

    private sealed class Tally(int maxErrors)
    {
        public long Inserted { get; set; }

        public long Updated { get; set; }

        public long Failed { get; set; }

        public List<ImportError> Errors { get; } = [];

        public void Fail(ImportError error)
        {
            // Keep the errors of the earliest rows: rows fail when read or when their page is written, not in row order.
            Failed++;
            Errors.Add(error);
            Errors.Sort((a, b) => a.Row.CompareTo(b.Row));
            if (Errors.Count > maxErrors)
            {
                Errors.RemoveAt(Errors.Count - 1);
            }
        }
    }

    /// <summary>Imports <paramref name="body"/> into <paramref name="collection"/>.</summary>
    public async Task<ImportResult> ImportAsync(Collection collection, Stream body, ImportFormat format, ImportMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(body);
        var limits = options.Value;
        var tally = new Tally(limits.ImportMaxErrors);
        var page = new List<Row>(limits.PageSize);
        var complete = true;
        long rows = 0;
        try
        {
            await foreach (var row in ReadAsync(body, format, limits, cancellationToken))
            {
                if (++rows > limits.ImportMaxRows)
                {
                    tally.Fail(new ImportError(row.Number, $"The import stops here: one import reads at most {limits.ImportMaxRows} rows (Baas:AdminTools:ImportMaxRows).", "too_many_rows"));
                    complete = false;
                    break;
                }

                if (row.Error is not null)
                {
                    tally.Fail(row.Error);
                    continue;
                }

                page.Add(row);
                if (page.Count == limits.PageSize)
                {
                    await WriteAsync(collection, page, mode, tally, cancellationToken);
                    page.Clear();
                }
            }
        }
        catch (UnreadableUploadException ex)
        {
            // The rest of the upload cannot be read (a broken JSON array, an unclosed CSV quote, an over-long CSV record).
            tally.Fail(ex.Error);
            complete = false;
        }

        await WriteAsync(collection, page, mode, tally, cancellationToken);
        return new ImportResult(tally.Inserted, tally.Updated, tally.Failed, tally.Errors, complete);
    }

    private async Task WriteAsync(Collection collection, List<Row> page, ImportMode mode, Tally tally, CancellationToken cancellationToken)
    {
        if (page.Count == 0)
        {
            return;
        }

        var commands = page.Select(row => mode == ImportMode.Upsert && row.Document![Storage.SystemFields.Id] is JsonValue id && id.GetValueKind() == JsonValueKind.String
            ? new ReplaceCommand(collection.Name, id.GetValue<string>(), row.Document, Upsert: true)
            : (DocumentCommand)new CreateCommand(collection.Name, row.Document!)).ToList();
        var results = await TolerantBatches.ExecuteAsync(
            documents,
            commands,
            (index, error) =>
            {
                if (error is OperationCanceledException or Storage.StorageUnavailableException)
                {
                    throw error;
                }

                var problem = ProblemDetailsExceptionHandler.ToProblem(error);
                if (problem.Status >= 500)
                {
                    throw error;
                }

                var code = problem.Extensions.TryGetValue("code", out var c) ? c as string ?? "error" : "error";
                var field = (error as DomainException)?.Field;
                tally.Fail(new ImportError(page[index].Number, field is null ? problem.Detail ?? code : $"{field}: {problem.Detail}", code));
            },
            cancellationToken);
        foreach (var result in results)
        {
            if (result.Status == StatusCodes.Status201Created)
            {
                tally.Inserted++;
            }
            else
            {
                tally.Updated++;
            }
        }
    }

    private static IAsyncEnumerable<Row> ReadAsync(Stream body, ImportFormat format, AdminToolsOptions limits, CancellationToken cancellationToken) => format switch
    {
        ImportFormat.Ndjson => ReadNdjsonAsync(body, limits.ImportMaxLineBytes, cancellationToken),
        ImportFormat.Json => ReadJsonArrayAsync(body, cancellationToken),
        _ => ReadCsvAsync(body, limits.ImportMaxLineBytes, cancellationToken),
    };

    private static async IAsyncEnumerable<Row> ReadNdjsonAsync(Stream body, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        long line = 0;
        var skipping = false;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } newline)
            {
                var text = buffer.Slice(0, newline);
                buffer = buffer.Slice(buffer.GetPosition(1, newline));
                line++;
                if (skipping || text.Length > maxLineBytes)
                {
                    skipping = false;
                    yield return new Row(line, null, TooLong(line, maxLineBytes));
                }
                else if (ParseLine(line, text) is { } row)
                {
                    yield return row;
                }
            }

            if (read.IsCompleted)
            {
                if (buffer.Length > 0 || skipping)
                {
                    line++;
                    if (skipping || buffer.Length > maxLineBytes)
                    {
                        yield return new Row(line, null, TooLong(line, maxLineBytes));
                    }
                    else if (ParseLine(line, buffer) is { } row)
                    {
                        yield return row;
                    }
                }

                await reader.CompleteAsync();
                yield break;
            }

            if (buffer.Length > maxLineBytes)
            {
                // An over-long line: drop what was read of it and skip to its end, without buffering it.
                skipping = true;
                reader.AdvanceTo(buffer.End);
            }
            else
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private static ImportError TooLong(long line, int maxLineBytes) =>
        new(line, $"The line is longer than {maxLineBytes} bytes (Baas:AdminTools:ImportMaxLineBytes).", "line_too_long");

    private static Row? ParseLine(long line, ReadOnlySequence<byte> text)
    {
        var bytes = text.ToArray().AsSpan();
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        if (bytes.Trim(" \t"u8).Length == 0)
        {
            return null;
        }

        return ParseDocument(line, bytes);
    }

    private static Row ParseDocument(long row, ReadOnlySpan<byte> json)
    {
        if (InputProblem(row, json) is { } problem)
        {
            return new Row(row, null, problem);
        }

        try
        {
            return JsonNode.Parse(json) is JsonObject document
                ? new Row(row, document, null)
                : new Row(row, null, new ImportError(row, "The row is not a JSON object.", "invalid_document"));
        }
        catch (JsonException ex) when (ex.BytePositionInLine is { } byteInLine)
        {
            // A row is parsed on its own, so the parser's position is within the row (an NDJSON row is one line).
            var column = byteInLine + 1;
            return new Row(row, null, new ImportError(row, $"The row is not valid JSON (row {row}, byte {column}).", "malformed_json") { Column = column });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            return new Row(row, null, new ImportError(row, "The row is not valid JSON.", "malformed_json"));
        }
    }

    /// <summary>
    /// The input rules of every request body (JsonInput: unique keys, valid Unicode, numbers a double holds) for one NDJSON
    /// row, as that row's error. A row with a repeated key used to end the whole import with a 500 (the document's keys
    /// were first read when it was written), and one with 1e400 reached the store.
    /// </summary>
    private static ImportError? InputProblem(long row, ReadOnlySpan<byte> json)
    {
        try
        {
            JsonInput.Validate(json, RowMaxDepth);
            return null;
        }
        catch (InvalidInputException ex)
        {
            return new ImportError(row, $"{ex.Field}: {ex.Message}", ex.Code);
        }
        catch (JsonException)
        {
            // Malformed or too deep: the parser reports it as the row's malformed_json.
            return null;
        }
    }

    // JsonNode.Parse's own default; documents are checked against Baas:Documents:MaxDepth when they are written.
    private const int RowMaxDepth = 64;

    private static async IAsyncEnumerable<Row> ReadJsonArrayAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // System.Text.Json streams the elements of a top-level array, holding one element at a time. Each element is
        // read as raw text and parsed like an NDJSON row, so the input rules (a lone surrogate, 1e400, a repeated key)
        // give the same row errors in both formats: a JsonNode built straight from the stream had taken 1e400 and \uD800.
        var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(body, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        long row = 0;
        try
        {
            while (true)
            {
                JsonElement element;
                try
                {
                    if (!await elements.MoveNextAsync())
                    {
                        yield break;
                    }

                    element = elements.Current;
                }
                catch (JsonException ex)
                {
                    throw new UnreadableUploadException(new ImportError(row + 1, row == 0 && ex.LineNumber is 0 && ex.BytePositionInLine is 0
                        ? "The upload is not a JSON array."
                        : $"The JSON array cannot be read past here (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}); the rest of the upload was not imported.", "malformed_json"));
                }

                row++;
                yield return element.ValueKind == JsonValueKind.Object
                    ? ParseDocument(row, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))
                    : new Row(row, null, new ImportError(row, "The element is not a JSON object.", "invalid_document"));
            }
        }
        finally
        {
            await elements.DisposeAsync();
        }
    }

    private static async IAsyncEnumerable<Row> ReadCsvAsync(Stream body, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new StreamReader(body, new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: true);
        var reader = new CsvRecordReader(text, maxLineBytes);
        var headerCells = await ReadRecordAsync(reader, 0, cancellationToken);
        if (headerCells is null)
        {
            yield break;
        }

        IReadOnlyList<string> header;
        try
        {
            header = Csv.ReadHeader(headerCells);
        }
        catch (InvalidInputException ex)
        {
            throw new UnreadableUploadException(new ImportError(0, $"{ex.Field}: {ex.Message}", ex.Code));
        }

        long row = 0;
        while (await ReadRecordAsync(reader, row + 1, cancellationToken) is { } cells)
        {
            row++;
            if (cells is [""])
            {
                row--;
                continue;
            }

            Row result;
            try
            {
                result = new Row(row, Csv.ToDocument(header, cells), null);
            }
            catch (InvalidInputException ex)
            {
                result = new Row(row, null, new ImportError(row, ex.Message, ex.Code));
            }

            yield return result;
        }
    }

    private static async Task<List<string>?> ReadRecordAsync(CsvRecordReader reader, long row, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken);
        }
        catch (InvalidInputException ex)
        {
            throw new UnreadableUploadException(new ImportError(row, ex.Message + " The rest of the upload was not imported.", ex.Code));
        }
    }

    private sealed class UnreadableUploadException(ImportError error) : Exception(error.Message)
    {
        public ImportError Error { get; } = error;
    }
}
