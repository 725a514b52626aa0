using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Auth;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Auth;

public class SigningKeyInitializerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SigningKeyInitializer Initializer(IDocumentStore store, SigningKeyProvider keys) =>
        new(store, keys, new ManualTimeProvider(), NullLogger<SigningKeyInitializer>.Instance);

    [Fact]
    public async Task RunAsync_CreatesA256BitKey_AndEveryLaterStartLoadsTheSameOne()
    {
        var store = new InMemoryDocumentStore();
        var first = new SigningKeyProvider();
        var second = new SigningKeyProvider();

        await Initializer(store, first).RunAsync(Ct);
        await Initializer(store, second).RunAsync(Ct);

        Assert.Equal(32, first.Current.Key.Length);
        Assert.Equal(first.Current.Key, second.Current.Key);
        Assert.Equal(first.Current.KeyId, second.Current.KeyId);
        var stored = await store.GetAsync("_keys", SigningKeyInitializer.SigningKeyId, Ct);
        Assert.Equal("HS256", stored!["alg"]!.GetValue<string>());
    }

    [Fact]
    public async Task RunAsync_AdoptsTheOtherNodesKey_WhenItsInsertLosesTheRace()
    {
        var store = new InMemoryDocumentStore();
        var theirKey = RandomNumberGenerator.GetBytes(32);
        store.AfterGet = async (collection, id) =>
        {
            store.AfterGet = null;
            // The other node inserts right after our read found nothing.
            var theirs = SystemDocuments.Create(id, DateTimeOffset.UtcNow, null, ("alg", "HS256"), ("kid", "theirs"), ("key", Base64UrlEncoder.Encode(theirKey)));
            await store.WriteAsync([new InsertOperation(collection, theirs)]);
        };
        var keys = new SigningKeyProvider();

        await Initializer(store, keys).RunAsync(Ct);

        Assert.Equal(theirKey, keys.Current.Key);
        Assert.Equal("theirs", keys.Current.KeyId);
    }

    [Fact]
    public void Current_Throws_BeforeTheKeyIsLoaded()
    {
        Assert.Throws<InvalidOperationException>(() => new SigningKeyProvider().Current);
    }
}
