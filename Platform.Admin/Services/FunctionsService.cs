using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;
using Platform.Sdk.Functions;

namespace Platform.Admin.Services;

/// <summary>Functions: definitions, versions and rollback, manual runs, run records, dead letters and secrets.</summary>
public class FunctionsService(BaasClient client)
{
    public const int RunPageSize = 50;

    /// <summary>The code a new function starts with.</summary>
    public const string StarterCode = "export default async function (ctx) {\n  ctx.log('args', ctx.args);\n  return { ok: true };\n}\n";

    private FunctionsAdminClient Functions => client.Admin.Functions;

    /// <summary>Sets this browser's jobs dashboard cookie; answers the dashboard's address relative to the server.</summary>
    public virtual Task<string> OpenJobsSessionAsync(CancellationToken cancellationToken = default) => Functions.OpenJobsSessionAsync(cancellationToken);

    public virtual Task<IReadOnlyList<FunctionInfo>> ListAsync(CancellationToken cancellationToken = default) => Functions.ListAsync(cancellationToken);

    public virtual Task<FunctionInfo?> GetAsync(string name, CancellationToken cancellationToken = default) => Functions.GetAsync(name, cancellationToken);

    /// <exception cref="BaasException">400 naming the field at fault; 409 <c>function_exists</c>.</exception>
    public virtual Task<FunctionInfo> CreateAsync(string name, CancellationToken cancellationToken = default) =>
        Functions.CreateAsync(new FunctionDefinition { Name = name, Code = StarterCode, Enabled = false }, cancellationToken);

    /// <exception cref="BaasException">400 (<c>invalid_code</c> with line and column, or a field), 412 <c>version_mismatch</c>.</exception>
    public virtual Task<FunctionInfo> SaveAsync(FunctionDefinition definition, int expectedVersion, CancellationToken cancellationToken = default) =>
        Functions.UpdateAsync(definition, expectedVersion, cancellationToken);

    public virtual Task<IReadOnlyList<FunctionInfo>> ListVersionsAsync(string name, CancellationToken cancellationToken = default) =>
        Functions.ListVersionsAsync(name, cancellationToken);

    /// <summary>Saves <paramref name="version"/>'s content as a new version, only while <paramref name="expectedVersion"/> (the one the page shows) is current.</summary>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> with <c>currentVersion</c>; 404 when the function or the version is gone.</exception>
    public virtual Task<FunctionInfo> RollbackAsync(string name, int version, int expectedVersion, CancellationToken cancellationToken = default) =>
        Functions.RollbackAsync(name, version, expectedVersion, cancellationToken);

    public virtual Task<FunctionRun> RunAsync(string name, JsonNode? args, JsonObject? sampleEvent, CancellationToken cancellationToken = default) =>
        Functions.RunAsync(name, args, sampleEvent, cancellationToken);

    /// <summary>One page of runs, newest first (keyset: pass the previous page's cursor).</summary>
    public virtual Task<FunctionRunPage> ListRunsAsync(string name, string? status, bool deadLetters, string? cursor, CancellationToken cancellationToken = default) =>
        Functions.ListRunsAsync(name, status, deadLetters ? true : null, RunPageSize, cursor, cancellationToken);

    /// <summary>One run record, or null when the function has no run with that id.</summary>
    public virtual Task<FunctionRun?> GetRunAsync(string name, string runId, CancellationToken cancellationToken = default) =>
        Functions.GetRunAsync(name, runId, cancellationToken);

    public virtual Task<FunctionRun> RetryAsync(string name, string runId, CancellationToken cancellationToken = default) =>
        Functions.RetryAsync(name, runId, cancellationToken);

    public virtual async Task<IReadOnlyList<FunctionSecretInfo>> ListSecretsAsync(CancellationToken cancellationToken = default) =>
        [.. (await Functions.ListSecretsAsync(cancellationToken)).OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <exception cref="BaasException">400 naming the field (name, value).</exception>
    public virtual Task SetSecretAsync(string name, string value, CancellationToken cancellationToken = default) =>
        Functions.SetSecretAsync(name, value, cancellationToken);

    public virtual Task<bool> DeleteSecretAsync(string name, CancellationToken cancellationToken = default) =>
        Functions.DeleteSecretAsync(name, cancellationToken);

    /// <summary>
    /// The position of a save refused with <c>invalid_code</c>: the first error on <c>code</c> with its line and
    /// column (<c>errors: [{path: "code", message, line, column}]</c>), or null for any other problem.
    /// </summary>
    public static FunctionRunError? CodeError(BaasException problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Code != "invalid_code")
        {
            return null;
        }

        var error = (problem.Problem?["errors"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(e => e["path"] is JsonValue p && p.TryGetValue<string>(out var path) && path == "code");
        return new FunctionRunError(
            Text(error, "message") ?? problem.Detail ?? problem.Message,
            Int(error, "line"),
            Int(error, "column"));
    }

    private static string? Text(JsonObject? json, string name) => json?[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static int? Int(JsonObject? json, string name) => json?[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
}
