using System.Text.Json.Nodes;
using Platform.Server.Documents;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// What <c>ctx.db</c> and <c>ctx.userDb</c> call: the document services, with the caller (and its
/// <see cref="Caller.Origin"/>) the run gives. A seam so that tests can watch what a run writes.
/// </summary>
public interface IFunctionDocuments
{
    Task<JsonObject> GetAsync(string collection, string id, Caller caller, CancellationToken cancellationToken = default);

    Task<CommandResult> ExecuteAsync(DocumentCommand command, Caller caller, CancellationToken cancellationToken = default);

    Task<JsonObject> QueryAsync(string collection, QueryRequest request, Caller caller, CancellationToken cancellationToken = default);
}

/// <summary>The real document services: rules, schema, limits and write path exactly as the REST API has them.</summary>
public sealed class DocumentServiceFunctionDocuments(DocumentService documents, DocumentQueryService queries) : IFunctionDocuments
{
    public Task<JsonObject> GetAsync(string collection, string id, Caller caller, CancellationToken cancellationToken = default) =>
        documents.GetAsync(collection, id, caller, cancellationToken);

    public Task<CommandResult> ExecuteAsync(DocumentCommand command, Caller caller, CancellationToken cancellationToken = default) =>
        documents.ExecuteAsync(command, caller, cancellationToken);

    public Task<JsonObject> QueryAsync(string collection, QueryRequest request, Caller caller, CancellationToken cancellationToken = default) =>
        queries.QueryAsync(collection, request, caller, cancellationToken);
}
