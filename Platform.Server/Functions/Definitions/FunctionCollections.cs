using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Definitions;

/// <summary>The system collections of functions (DESIGN.md section 2).</summary>
public static class FunctionCollections
{
    /// <summary>The current version of each function, <c>_id</c> = name.</summary>
    public const string Functions = "_functions";

    /// <summary>Every saved version, <c>_id</c> = <c>name@version</c>, immutable.</summary>
    public const string Versions = "_function_versions";

    /// <summary>Secrets, <c>_id</c> = name, values encrypted with ASP.NET Core Data Protection.</summary>
    public const string Secrets = "_function_secrets";

    /// <summary>Run records (<see cref="FunctionRunJson.Collection"/>).</summary>
    public const string Runs = FunctionRunJson.Collection;

    public static string VersionId(string name, int version) => $"{name}@{version}";
}

/// <summary>Creates the functions' system collections and the run indexes (list by function newest first; retention by age; recent failures by status).</summary>
internal sealed class FunctionCollectionsInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var collection in new[] { FunctionCollections.Functions, FunctionCollections.Versions, FunctionCollections.Secrets, FunctionCollections.Runs })
        {
            await store.CreateCollectionAsync(collection, cancellationToken);
        }

        await store.ApplyIndexesAsync(FunctionCollections.Versions, [new IndexDefinition([new SortField("name"), new SortField("version", Descending: true)], Unique: false)], cancellationToken);
        await store.ApplyIndexesAsync(
            FunctionCollections.Runs,
            [
                new IndexDefinition([new SortField("function"), new SortField("startedAt", Descending: true)], Unique: false),
                new IndexDefinition([new SortField("startedAt")], Unique: false),
                new IndexDefinition([new SortField("status"), new SortField("startedAt", Descending: true)], Unique: false),
            ],
            cancellationToken);
    }
}
