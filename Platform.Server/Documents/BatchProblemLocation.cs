using Microsoft.AspNetCore.Mvc;
using Platform.Server.Collections;
using Platform.Server.Common;

namespace Platform.Server.Documents;

/// <summary>
/// Points a failed batch operation's problem at the request body: the document service names fields of the document
/// (<c>title</c>, <c>$inc.n</c>) or of the command (its <c>id</c>, its collection), and a client of <c>POST /api/batch</c>
/// needs them as paths in what it sent (<c>ops[3].data.title</c>, <c>ops[3].id</c>), like every other 400 names a JSON
/// path of its body.
/// </summary>
internal static class BatchProblemLocation
{
    private const string Document = "(document)";

    /// <summary>Rewrites <c>field</c> and every <c>errors[].path</c> of <paramref name="problem"/> under <paramref name="operationPath"/> (<c>ops[3]</c>).</summary>
    public static void Apply(ProblemDetails problem, string operationPath)
    {
        var code = problem.Extensions.TryGetValue("code", out var c) ? c as string : null;
        var field = problem.Extensions.TryGetValue("field", out var f) ? f as string : null;
        problem.Extensions["field"] = Field(code, field, operationPath);
        if (problem.Extensions.TryGetValue("errors", out var errors) && errors is IReadOnlyList<FieldError> list)
        {
            problem.Extensions["errors"] = list.Select(e => e with { Path = InData(e.Path, operationPath) }).ToList();
        }
    }

    private static string Field(string? code, string? field, string operationPath) => (code, field) switch
    {
        // Checks of the command itself: its id (DocumentIds) and collection (CollectionNames, the registry).
        ("invalid_id", "id") or ("not_found", null) => $"{operationPath}.id",
        ("invalid_collection_name", "collection") or ("collection_not_found", null) => $"{operationPath}.collection",
        ("version_mismatch", null) => $"{operationPath}.ifMatch",
        (DocumentValidator.InvalidDocument or DocumentValidator.DocumentTooLarge or "document_too_deep" or "unique_violation" or "parallel_arrays", null) => $"{operationPath}.data",
        (_, null) => operationPath,
        _ => InData(field, operationPath),
    };

    private static string InData(string path, string operationPath) =>
        path == Document ? $"{operationPath}.data" : $"{operationPath}.data.{path}";
}
