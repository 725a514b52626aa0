using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Users;

/// <summary>Creates the app-user system collections and their indexes (after the auth keys, before admin seeding).</summary>
internal sealed class UsersInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => 250;

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
            [new IndexDefinition([new SortField("userId"), new SortField("revoked")])],
            cancellationToken);

        await store.CreateCollectionAsync(SessionService.RefreshTokensCollection, cancellationToken);
        await store.ApplyIndexesAsync(
            SessionService.RefreshTokensCollection,
            [new IndexDefinition([new SortField(SessionService.TokenHashField)], Unique: true)],
            cancellationToken);
    }
}
