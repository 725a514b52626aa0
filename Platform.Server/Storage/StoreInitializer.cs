using Platform.Server.Hosting;

namespace Platform.Server.Storage;

/// <summary>Opens the store before anything else touches it.</summary>
internal sealed class StoreInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.Store;

    public Task RunAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);
}
