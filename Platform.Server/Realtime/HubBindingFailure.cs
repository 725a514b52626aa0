using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// A <c>Subscribe</c> or <c>Unsubscribe</c> call whose arguments SignalR could not bind (zero arguments, or more than
/// one) reaches the hub as a call with one argument that carries the refusal, so the client is refused with
/// <c>invalid_request</c> like every other unreadable call: SignalR answers a binding failure itself, with a bare
/// "Failed to invoke '...' due to an error on the server" that names no code and no cause, and no hub filter sees it.
/// </summary>
internal static class HubBindingFailure
{
    /// <summary>The refusal of an <c>Unsubscribe</c> call that did not have exactly one argument.</summary>
    public const string UnsubscribeWrongArguments =
        "invalid_request: Unsubscribe takes exactly one argument, the subscriptionId string that Subscribe returned; the call's arguments could not be bound to it. (at arguments)";

    public static HubMessage Refuse(HubMessage message)
    {
        if (message is not InvocationBindingFailureMessage failure)
        {
            return message;
        }

        object? argument =
            string.Equals(failure.Target, nameof(RealtimeHub.Subscribe), StringComparison.OrdinalIgnoreCase)
                ? new SubscribeRequest { BindingError = SubscribeRequestErrors.WrongArguments }
            : string.Equals(failure.Target, nameof(RealtimeHub.Unsubscribe), StringComparison.OrdinalIgnoreCase)
                ? WrongArguments.Instance
            : null;
        return argument is null
            ? message
            : new InvocationMessage(failure.InvocationId, failure.Target, [argument]) { Headers = failure.Headers };
    }

    /// <summary>The argument an <c>Unsubscribe</c> call gets in place of arguments that could not be bound.</summary>
    internal sealed class WrongArguments
    {
        public static readonly WrongArguments Instance = new();

        private WrongArguments()
        {
        }
    }
}
