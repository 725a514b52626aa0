using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// The dispatcher writes to each hub connection it holds (<see cref="ConnectionProxy"/>, kept by
/// <see cref="RealtimeLifetimeManager"/>) instead of looking the connection up by id per message; what clients get is the same.
/// </summary>
public sealed class RealtimeLifetimeManagerTests
{
    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Connections_AreKeptByTheLifetimeManager_AndGetTheirEventsThroughIt(HubProtocol protocol)
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        Assert.IsType<RealtimeLifetimeManager>(server.Server.Services.GetRequiredService<HubLifetimeManager<RealtimeHub>>());
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(protocol: protocol, query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        for (var i = 0; i < 10; i++)
        {
            server.Feed.Publish(collection, $"d{i}", ChangeKind.Insert, null, new JsonObject { ["_id"] = $"d{i}", ["n"] = i });
        }

        for (var i = 0; i < 10; i++)
        {
            var document = await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
            Assert.Equal(i, (int)document!["n"]!);
        }

        var dispatcher = server.Server.Services.GetRequiredService<RealtimeDispatcher>();
        Assert.IsType<ConnectionProxy>(dispatcher.ProxyOf(client.Connection.ConnectionId!));
    }
}
