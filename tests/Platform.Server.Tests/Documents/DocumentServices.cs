using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Documents;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Documents;

/// <summary>A <see cref="DocumentService"/> over a given store with default options and the system clock, for tests that drive the service directly.</summary>
internal static class DocumentServices
{
    public static (DocumentService Service, CollectionRegistry Registry) Create(IDocumentStore store)
    {
        var collections = Options.Create(new CollectionOptions());
        var registry = new CollectionRegistry(store, collections, TimeProvider.System);
        var service = new DocumentService(
            store,
            registry,
            new DocumentValidator(Options.Create(new DocumentLimits())),
            new DocumentIdGenerator(TimeProvider.System),
            new DocumentRules(TimeProvider.System),
            collections,
            TimeProvider.System);
        return (service, registry);
    }
}
