using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk.Functions;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>
/// Functions administration (<c>/api/admin/functions</c>, docs/functions.md): definitions, versions and rollback,
/// secrets, manual runs, run records and retries. Get it from <see cref="BaasAdminClient.Functions"/>.
/// </summary>
public class FunctionsAdminClient
{
    private readonly BaasTransport _transport;

    internal FunctionsAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected FunctionsAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Lists every function (current versions).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The functions, by name.</returns>
    public virtual async Task<IReadOnlyList<FunctionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, BaasPaths.AdminFunctions, null, cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(FunctionInfo.FromJson)];
    }

    /// <summary>Reads a function's current version.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The function, or null when there is none.</returns>
    public virtual async Task<FunctionInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            var response = await SendAsync(HttpMethod.Get, BaasPaths.AdminFunction(name), null, cancellationToken).ConfigureAwait(false);
            return FunctionInfo.FromJson(response.Body as JsonObject ?? []);
        }
        catch (BaasException ex) when (ex.Code == "function_not_found")
        {
            return null;
        }
    }

    /// <summary>Defines a function (version 1). The code is checked: a syntax error is a 400 whose problem lists line and column.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The saved function.</returns>
    /// <exception cref="BaasException">400 naming the field at fault; 409 <c>function_exists</c>.</exception>
    public virtual async Task<FunctionInfo> CreateAsync(FunctionDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var response = await SendAsync(HttpMethod.Post, BaasPaths.AdminFunctions, definition.ToJson(), cancellationToken).ConfigureAwait(false);
        return FunctionInfo.FromJson(response.Body as JsonObject ?? []);
    }

    /// <summary>Saves a new version of a function.</summary>
    /// <param name="definition">The new definition (its name names the function).</param>
    /// <param name="expectedVersion">When set, the save happens only if this is still the current version (else 412 <c>version_mismatch</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The saved version.</returns>
    public virtual async Task<FunctionInfo> UpdateAsync(FunctionDefinition definition, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var request = new BaasRequest(HttpMethod.Put, BaasPaths.AdminFunction(definition.Name), definition.ToJson(), expectedVersion);
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return FunctionInfo.FromJson(response.Body as JsonObject ?? []);
    }

    /// <summary>Deletes a function and its versions (its run records stay until retention removes them).</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when there was no such function.</returns>
    public virtual async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            await SendAsync(HttpMethod.Delete, BaasPaths.AdminFunction(name), null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Code == "function_not_found")
        {
            return false;
        }
    }

    /// <summary>Every saved version of a function, newest first.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The versions.</returns>
    public virtual async Task<IReadOnlyList<FunctionInfo>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await SendAsync(HttpMethod.Get, BaasPaths.AdminFunction(name) + "/versions", null, cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(FunctionInfo.FromJson)];
    }

    /// <summary>Saves an old version's content as a new version, whatever the current version is: see the overload with an expected version.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="version">The version to go back to.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new current version.</returns>
    public virtual Task<FunctionInfo> RollbackAsync(string name, int version, CancellationToken cancellationToken = default) =>
        RollbackCoreAsync(name, version, null, cancellationToken);

    /// <summary>
    /// Saves an old version's content as a new version, only while the current version is still <paramref name="expectedVersion"/>
    /// (sent as <c>If-Match</c>), so a version another admin saved since is not replaced unseen.
    /// </summary>
    /// <param name="name">The function's name.</param>
    /// <param name="version">The version to go back to.</param>
    /// <param name="expectedVersion">The current version the caller saw, usually <see cref="FunctionInfo.Version"/> of the function read.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new current version.</returns>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> when another version is current (the problem's <c>currentVersion</c> says which; nothing changed).</exception>
    public virtual Task<FunctionInfo> RollbackAsync(string name, int version, int expectedVersion, CancellationToken cancellationToken = default) =>
        RollbackCoreAsync(name, version, expectedVersion, cancellationToken);

    private async Task<FunctionInfo> RollbackCoreAsync(string name, int version, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.AdminFunction(name) + "/rollback", new JsonObject { ["version"] = version }, expectedVersion);
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return FunctionInfo.FromJson(response.Body as JsonObject ?? []);
    }

    /// <summary>Lists the secrets' names and dates (never their values).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The secrets, by name.</returns>
    public virtual async Task<IReadOnlyList<FunctionSecretInfo>> ListSecretsAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, BaasPaths.AdminFunctionSecrets, null, cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(s => new FunctionSecretInfo(
            FunctionInfo.Text(s, "name") ?? string.Empty,
            FunctionInfo.Time(s, "createdAt") ?? default,
            FunctionInfo.Time(s, "updatedAt") ?? default))];
    }

    /// <summary>Creates or replaces a secret, which functions read as <c>ctx.env.NAME</c>; it is stored encrypted and masked in runs.</summary>
    /// <param name="name">Like an environment variable: <c>^[A-Z_][A-Z0-9_]{0,63}$</c>.</param>
    /// <param name="value">The value (non-empty).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the secret is saved.</returns>
    public virtual async Task SetSecretAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(value);
        await SendAsync(HttpMethod.Put, BaasPaths.AdminFunctionSecret(name), new JsonObject { ["value"] = value }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a secret.</summary>
    /// <param name="name">The secret's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when there was no such secret.</returns>
    public virtual async Task<bool> DeleteSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            await SendAsync(HttpMethod.Delete, BaasPaths.AdminFunctionSecret(name), null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Code == "secret_not_found")
        {
            return false;
        }
    }

    /// <summary>Runs a function now (even a disabled one) with sample input, and answers its run record whatever its status.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">Sample <c>ctx.args</c>.</param>
    /// <param name="sampleEvent">Sample <c>ctx.event</c>: <c>{ id?, type, collection, documentId, before?, after?, data? }</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The run.</returns>
    public virtual async Task<FunctionRun> RunAsync(string name, JsonNode? args = null, JsonObject? sampleEvent = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = new JsonObject();
        if (args is not null)
        {
            body["args"] = args.DeepClone();
        }

        if (sampleEvent is not null)
        {
            body["event"] = sampleEvent.DeepClone();
        }

        var response = await SendAsync(HttpMethod.Post, BaasPaths.AdminFunction(name) + "/run", body, cancellationToken).ConfigureAwait(false);
        return FunctionRun.FromJson(response.Body as JsonObject ?? []);
    }

    /// <summary>One page of a function's runs, newest first.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="status">Only runs with this status (<c>succeeded</c>, <c>failed</c>, <c>timedOut</c>, <c>rejected</c>).</param>
    /// <param name="deadLetter">Only dead letters (true) or only others (false).</param>
    /// <param name="limit">Page size (1–500, default 50).</param>
    /// <param name="cursor">The previous page's <see cref="FunctionRunPage.NextCursor"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public virtual async Task<FunctionRunPage> ListRunsAsync(string name, string? status = null, bool? deadLetter = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var query = new List<string>();
        if (status is not null)
        {
            query.Add("status=" + Uri.EscapeDataString(status));
        }

        if (deadLetter is { } dead)
        {
            query.Add("deadLetter=" + (dead ? "true" : "false"));
        }

        if (limit is { } n)
        {
            query.Add("limit=" + n.ToString(CultureInfo.InvariantCulture));
        }

        if (cursor is not null)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        var path = BaasPaths.AdminFunction(name) + "/runs" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
        var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return new FunctionRunPage(
            [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(FunctionRun.FromJson)],
            response.Body?["nextCursor"] is JsonValue c && c.TryGetValue<string>(out var next) ? next : null);
    }

    /// <summary>Every run of a function matching the filters, newest first, fetched page by page.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="status">Only runs with this status.</param>
    /// <param name="deadLetter">Only dead letters (true) or only others (false).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The runs.</returns>
    public virtual async IAsyncEnumerable<FunctionRun> ListAllRunsAsync(
        string name,
        string? status = null,
        bool? deadLetter = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListRunsAsync(name, status, deadLetter, 200, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var run in page.Items)
            {
                yield return run;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>Reads one run record.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="runId">The run id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The run, or null when the function has no such run.</returns>
    public virtual async Task<FunctionRun?> GetRunAsync(string name, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        try
        {
            var response = await SendAsync(HttpMethod.Get, BaasPaths.AdminFunction(name) + "/runs/" + Uri.EscapeDataString(runId), null, cancellationToken).ConfigureAwait(false);
            return FunctionRun.FromJson(response.Body as JsonObject ?? []);
        }
        catch (BaasException ex) when (ex.Code == "run_not_found")
        {
            return null;
        }
    }

    /// <summary>Replays a run (typically a dead letter) with its args or event on the function's current version, attempt + 1.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="runId">The run to replay.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new run.</returns>
    public virtual async Task<FunctionRun> RetryAsync(string name, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var response = await SendAsync(HttpMethod.Post, BaasPaths.AdminFunction(name) + "/runs/" + Uri.EscapeDataString(runId) + "/retry", null, cancellationToken).ConfigureAwait(false);
        return FunctionRun.FromJson(response.Body as JsonObject ?? []);
    }

    /// <summary>
    /// Opens a session of the jobs dashboard (Hangfire's, at <c>/admin/jobs</c>; admins only): the server answers with a
    /// short-lived HttpOnly cookie scoped to that path, which the browser (or this client's cookie container) then sends
    /// when it navigates there. Call it right before opening the dashboard, e.g. from a button.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The dashboard's address, relative to the server's (<c>admin/jobs</c>).</returns>
    /// <exception cref="BaasException">401 when signed out; 403 for anyone but an admin (service keys included).</exception>
    public virtual async Task<string> OpenJobsSessionAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(HttpMethod.Post, BaasPaths.AdminJobsSession, null, cancellationToken).ConfigureAwait(false);
        return BaasPaths.JobsDashboard;
    }

    private Task<BaasResponse> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken) =>
        _transport.SendAsync(new BaasRequest(method, path, body), cancellationToken);
}
