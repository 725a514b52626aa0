using Platform.Server.Functions.Runs;
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

    /// <summary>Run records (<see cref="FunctionRunJson.Collection"/>; on SQLite a table of their own, <see cref="IFunctionRunStorage"/>).</summary>
    public const string Runs = FunctionRunJson.Collection;

    public static string VersionId(string name, int version) => $"{name}@{version}";
}

/// <summary>
/// Creates the functions' system collections, the version index and the run records' storage
/// (<see cref="IFunctionRunStorage.InitializeAsync"/>: on SQLite a table of its own, to which an older data dir's
/// <c>_function_runs</c> is moved; elsewhere that collection with <see cref="RunIndexes"/>, whose indexes that are no
/// longer wanted, the three of earlier versions, are dropped).
/// </summary>
internal sealed class FunctionCollectionsInitializer(IDocumentStore store, IFunctionRunStorage runs) : IStartupTask
{
    /// <summary>
    /// The one index of the <c>_function_runs</c> collection (<see cref="DocumentFunctionRunStorage"/>), <c>(function, status, startedAt)</c> newest first: the runs API reads it
    /// per status and merges (a page of one function's runs is one read per status), and so do recent failures and
    /// retention per function. Every run's insert pays for each index (on SQLite about 4-6 µs of CPU per index in a
    /// create with a before trigger), so there is no index by status or by <c>startedAt</c> alone. It ends with <c>_id</c>
    /// descending, the tiebreak of the newest-first reads (and, walked backwards, of the oldest-first ones), so a page is an
    /// index walk with no in-memory sort (MongoDB would otherwise sort every run of the function and status in memory).
    /// </summary>
    internal static readonly IndexDefinition[] RunIndexes =
    [
        new([new SortField("function"), new SortField("status"), new SortField("startedAt", Descending: true), new SortField(SystemFields.Id, Descending: true)], Unique: false),
    ];

    /// <summary><c>_function_versions</c> by name, newest version first (the provider may add <c>_id</c>, the reads' tiebreak).</summary>
    internal static readonly IndexDefinition[] VersionIndexes =
    [
        new([new SortField("name"), new SortField("version", Descending: true)], Unique: false),
    ];

    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var collection in new[] { FunctionCollections.Functions, FunctionCollections.Versions, FunctionCollections.Secrets })
        {
            await store.CreateCollectionAsync(collection, cancellationToken);
        }

        await store.ApplyIndexesAsync(FunctionCollections.Versions, VersionIndexes, cancellationToken);
        await runs.InitializeAsync(cancellationToken);
    }
}
