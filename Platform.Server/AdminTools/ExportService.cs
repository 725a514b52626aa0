using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.AdminTools;

/// <summary>Download formats of an export.</summary>
public enum ExportFormat
{
    Ndjson,
    Csv,
}

/// <summary>
/// Streams the documents of a collection (all, or those matching a filter) in keyset pages by <c>_id</c>, one page in
/// memory at a time, as NDJSON (one document per line) or CSV (<see cref="Csv"/>). A CSV export without explicit columns
/// first reads the matches once to learn their field paths, then again to write them.
/// </summary>
public sealed class ExportService(IDocumentStore store, IOptions<AdminToolsOptions> options)
{
    private static readonly string[] SystemColumns = [SystemFields.Id, SystemFields.CreatedAt, SystemFields.UpdatedAt, SystemFields.CreatedBy, SystemFields.Version];

    /// <summary>The CSV columns: <paramref name="fields"/> when given (system fields first), else every leaf path of the matches.</summary>
    /// <exception cref="InvalidInputException"><c>too_many_columns</c> past <see cref="AdminToolsOptions.ExportMaxColumns"/>.</exception>
    public async Task<IReadOnlyList<string>> ColumnsAsync(Collection collection, FilterNode filter, IReadOnlyList<string>? fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        var max = options.Value.ExportMaxColumns;
        var columns = new List<string>(SystemColumns);
        var seen = new HashSet<string>(SystemColumns, StringComparer.Ordinal);
        if (fields is not null)
        {
            columns.AddRange(fields.Where(seen.Add));
        }
        else
        {
            await foreach (var document in DocumentsAsync(collection, filter, cancellationToken))
            {
                Csv.Flatten(document, (path, _) =>
                {
                    if (seen.Add(path))
                    {
                        columns.Add(path);
                    }
                });
                if (columns.Count > max)
                {
                    break;
                }
            }
        }

        if (columns.Count > max)
        {
            throw new InvalidInputException(
                "too_many_columns",
                $"The documents have more than {max} distinct field paths (Baas:AdminTools:ExportMaxColumns); name the columns with fields=.",
                "fields");
        }

        return columns;
    }

    /// <summary>Writes the export to <paramref name="output"/>, flushing after every page.</summary>
    public async Task WriteAsync(Collection collection, FilterNode filter, ExportFormat format, IReadOnlyList<string>? columns, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await using (writer)
        {
            if (format == ExportFormat.Csv)
            {
                Csv.WriteRecord(writer, columns!.Select(Csv.FormatHeaderCell));
            }

            var inPage = 0;
            await foreach (var document in DocumentsAsync(collection, filter, cancellationToken))
            {
                if (format == ExportFormat.Ndjson)
                {
                    await writer.WriteAsync(document.ToJsonString());
                    await writer.WriteAsync('\n');
                }
                else
                {
                    var cells = new Dictionary<string, string>(StringComparer.Ordinal);
                    Csv.Flatten(document, (path, value) => cells[path] = Csv.FormatCell(value));
                    Csv.WriteRecord(writer, columns!.Select(c => cells.GetValueOrDefault(c, string.Empty)));
                }

                if (++inPage == options.Value.PageSize)
                {
                    inPage = 0;
                    await writer.FlushAsync(cancellationToken);
                }
            }

            await writer.FlushAsync(cancellationToken);
        }
    }

    private async IAsyncEnumerable<JsonObject> DocumentsAsync(Collection collection, FilterNode filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pageSize = options.Value.PageSize;
        var sort = new[] { new SortField(SystemFields.Id) };
        IReadOnlyList<JsonElement>? after = null;
        while (true)
        {
            var page = await store.QueryAsync(collection.Name, new DocumentQuery(filter, sort, pageSize, after), cancellationToken);
            foreach (var document in page)
            {
                yield return document;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }
    }
}
