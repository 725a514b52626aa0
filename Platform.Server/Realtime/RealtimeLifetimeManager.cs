using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;

namespace Platform.Server.Realtime;

/// <summary>
/// SignalR's own lifetime manager for the realtime hub, which also puts each connection's <see cref="HubConnectionContext"/>
/// in its features when it connects, so that the dispatcher can write to it without looking it up by id on every message
/// (<see cref="ConnectionProxy"/>; the lookup, a string hash and a dictionary read per recipient, was ~2 % of a fan-out's
/// server CPU, bench/README.md h/rt-sub). Everything else, groups and users included, is SignalR's.
/// </summary>
internal sealed class RealtimeLifetimeManager(ILogger<DefaultHubLifetimeManager<RealtimeHub>> logger, DirectSendCounter counter)
    : DefaultHubLifetimeManager<RealtimeHub>(logger)
{
    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Features.Set(new ConnectionProxy(connection));

        // A websocket whose writes go to its socket: the dispatcher writes change events to it directly.
        if (DirectChangeSender.For(connection, counter) is { } direct)
        {
            connection.Features.Set(direct);
        }

        return base.OnConnectedAsync(connection);
    }
}

/// <summary>
/// Sends to one hub connection as SignalR's single-client proxy does (<c>SendConnectionAsync</c>: an
/// <see cref="InvocationMessage"/> written to the connection, not kept in memory), holding the connection itself.
/// </summary>
internal sealed class ConnectionProxy(HubConnectionContext connection) : IClientProxy
{
    public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default) =>
        connection.WriteAsync(new InvocationMessage(method, args), cancellationToken).AsTask();
}
