using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// A <c>Subscribe</c> call whose arguments SignalR could not bind (zero arguments, or more than one) reaches the hub as a
/// call with one request that carries <see cref="SubscribeRequestErrors.WrongArguments"/>, so the client is refused
/// with <c>invalid_request</c> like every other unreadable request: SignalR answers a binding failure itself, with a bare
/// "Failed to invoke 'Subscribe' due to an error on the server" that names no code and no cause, and no hub filter sees it.
/// </summary>
internal static class SubscribeBindingFailure
{
    public static HubMessage Refuse(HubMessage message) =>
        message is InvocationBindingFailureMessage failure
        && string.Equals(failure.Target, nameof(RealtimeHub.Subscribe), StringComparison.OrdinalIgnoreCase)
            ? new InvocationMessage(failure.InvocationId, failure.Target, [new SubscribeRequest { BindingError = SubscribeRequestErrors.WrongArguments }])
            {
                Headers = failure.Headers,
            }
            : message;
}
