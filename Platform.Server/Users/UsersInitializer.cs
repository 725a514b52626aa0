using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Users;

/// <summary>Creates the app-user system collections and their indexes.</summary>
internal sealed class UsersInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await store.CreateCollectionAsync(AppUserStore.Collection, cancellationToken);
        await store.ApplyIndexesAsync(
            AppUserStore.Collection,
            [new IndexDefinition([new SortField(AppUserStore.NormalizedEmailField)], Unique: true)],
            cancellationToken);

        await store.CreateCollectionAsync(SessionService.SessionsCollection, cancellationToken);
        await store.ApplyIndexesAsync(
            SessionService.SessionsCollection,
            [new IndexDefinition([new SortField("userId"), new SortField("revoked")]), new IndexDefinition([new SortField("revokedAt")])],
            cancellationToken);

        await store.CreateCollectionAsync(SessionService.RefreshTokensCollection, cancellationToken);
        await store.ApplyIndexesAsync(
            SessionService.RefreshTokensCollection,
            [new IndexDefinition([new SortField(SessionService.TokenHashField)], Unique: true), new IndexDefinition([new SortField("expiresAt")])],
            cancellationToken);
    }
}
