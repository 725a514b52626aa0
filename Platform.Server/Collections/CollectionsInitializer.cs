using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Collections;

/// <summary>Makes sure the definitions collection exists.</summary>
internal sealed class CollectionsInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public Task RunAsync(CancellationToken cancellationToken) => store.CreateCollectionAsync(CollectionNames.Definitions, cancellationToken);
}
