using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// A <c>Subscribe</c> or <c>Unsubscribe</c> call whose arguments SignalR could not bind (zero arguments, more than one,
/// or one it could not read: <see cref="UnreadableRequestException"/>) reaches the hub as a call with one argument that carries the refusal, so the client is refused with
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

        // An argument that was there but could not be read says why (MessagePack text that is not UTF-8, a length beyond
        // the message's end, ...); anything else is the wrong number of arguments.
        var unreadable = UnreadableRequestException.Find(failure.BindingFailure.SourceException);
        object? argument =
            string.Equals(failure.Target, nameof(RealtimeHub.Subscribe), StringComparison.OrdinalIgnoreCase)
                ? new SubscribeRequest { BindingError = unreadable?.Message ?? SubscribeRequestErrors.WrongArguments }
            : string.Equals(failure.Target, nameof(RealtimeHub.Unsubscribe), StringComparison.OrdinalIgnoreCase)
                ? new Unreadable(unreadable?.RefusalUnder("subscriptionId") ?? UnsubscribeWrongArguments)
            : null;
        return argument is null
            ? message
            : new InvocationMessage(failure.InvocationId, failure.Target, [argument]) { Headers = failure.Headers };
    }

    /// <summary>The argument an <c>Unsubscribe</c> call gets in place of arguments that could not be bound: the refusal to answer.</summary>
    internal sealed record Unreadable(string Refusal);
}
