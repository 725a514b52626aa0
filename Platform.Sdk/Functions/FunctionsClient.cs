using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Http;

namespace Platform.Sdk.Functions;

/// <summary>Calls callable functions (<c>POST /api/functions/{name}</c>). Get it from <see cref="BaasClient.Functions"/>.</summary>
public class FunctionsClient
{
    private readonly BaasTransport _transport;
    private readonly JsonSerializerOptions _serializer;

    internal FunctionsClient(BaasTransport transport, JsonSerializerOptions serializer)
    {
        _transport = transport;
        _serializer = serializer;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected FunctionsClient()
    {
        _transport = null!;
        _serializer = JsonSerializerOptions.Web;
    }

    /// <summary>
    /// Calls a function as the current caller (the signed-in user, the service key or the admin) and reads its
    /// result as <typeparamref name="TResult"/>. A call is not retried (a function may have side effects).
    /// </summary>
    /// <typeparam name="TResult">What the function returns, deserialized with the client's serializer options.</typeparam>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The function's <c>ctx.args</c>: any value that serializes to JSON (at most 64 KiB by default), or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result (default when the function returned nothing).</returns>
    /// <exception cref="BaasFunctionException">The function threw (<c>function_failed</c>), ran out of time
    /// (<c>function_timeout</c>) or called <c>ctx.reject</c> (<c>rejected_by_function</c>, with its status): the
    /// function's error with line and column and the run id.</exception>
    /// <exception cref="BaasException">404 when there is no such callable function; 401/403 when the invoke rule
    /// refuses the caller; 413 when <paramref name="args"/> is too large.</exception>
    public virtual async Task<TResult?> CallAsync<TResult>(string name, object? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = new JsonObject { ["args"] = args is null ? null : JsonSerializer.SerializeToNode(args, args.GetType(), _serializer) };
        BaasResponse response;
        try
        {
            response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.Function(name), body), cancellationToken).ConfigureAwait(false);
        }
        catch (BaasException ex) when (ex.Code is "function_failed" or "function_timeout" or "rejected_by_function")
        {
            throw new BaasFunctionException(ex.Status, ex.Problem);
        }

        var result = response.Body?["result"];
        return result is null ? default : result.Deserialize<TResult>(_serializer);
    }
}
