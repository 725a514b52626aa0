using System.Collections;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Storage;

namespace Platform.Server.Realtime;

/// <summary>
/// The hub at <c>/realtime</c> (docs/realtime.md). Hubs are transient: the state lives in
/// <see cref="RealtimeDispatcher"/>. Refusals are <see cref="HubException"/>s whose message is
/// <c>"&lt;code&gt;: &lt;detail&gt;"</c> with the REST codes.
/// </summary>
internal sealed class RealtimeHub(
    RealtimeDispatcher dispatcher,
    SubscriptionPlanner planner,
    SubscriptionActivator activator,
    StoredResume storedResume,
    SubscribeCatchUp catchUp,
    SubscribeSnapshot snapshots,
    CallerSessions sessions,
    RealtimeShutdown shutdown,
    ILogger<RealtimeHub> logger) : Hub
{
    public override Task OnConnectedAsync()
    {
        // A refusal (HubException) is the client's condition, logged by the dispatcher; SignalR's own Error line for what
        // this throws is filtered (SafeLogging), so anything unexpected is logged here.
        try
        {
            shutdown.EnsureRegistered();
            return Connect();
        }
        catch (Exception ex) when (ex is not HubException)
        {
            RealtimeLog.HubEventFailed(logger, ex, nameof(OnConnectedAsync), Context.ConnectionId);
            throw;
        }
    }

    private Task Connect() => dispatcher.TryConnect(Context) switch
    {
        ConnectOutcome.NodeFull => throw new HubException("too_many_connections: This server is at its connection limit; try again later."),
        ConnectOutcome.ClientFull => throw new HubException(
            "too_many_client_connections: This client address holds as many realtime connections as the server allows; close one first."),
        ConnectOutcome.ShuttingDown => throw new HubException("unavailable: This server is shutting down; connect again (to another node)."),
        _ => Task.CompletedTask,
    };

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        try
        {
            await dispatcher.DisconnectAsync(Context.ConnectionId);
        }
        catch (Exception ex)
        {
            RealtimeLog.HubEventFailed(logger, ex, nameof(OnDisconnectedAsync), Context.ConnectionId);
            throw;
        }
    }

    public async Task<SubscribeResult> Subscribe(SubscribeRequest request)
    {
        if (request is null)
        {
            throw new HubException(SubscribeRequestErrors.Missing);
        }

        if (request.BindingError is { } bindingError)
        {
            throw new HubException(bindingError);
        }

        var cancellationToken = Context.ConnectionAborted;
        var caller = Context.User?.GetBaasCaller();

        // The connection stays open until the session check notices an ending elsewhere; one ended on this node is
        // known here at once.
        if (caller is { Kind: BaasCallerKind.User or BaasCallerKind.Admin } && !await sessions.IsActiveAsync(caller, fresh: false, cancellationToken))
        {
            throw new HubException(SessionEndedRefusal);
        }

        SubscriptionPlanner.Plan plan;
        try
        {
            plan = await planner.PlanAsync(request, Callers.From(caller), cancellationToken);
        }
        catch (Exception ex) when (ToHubException(ex) is { } refusal)
        {
            throw refusal;
        }

        await dispatcher.Started.WaitAsync(cancellationToken);
        if (request.ResumeAfter is not null)
        {
            try
            {
                // A resume position (perhaps from another node) beyond what this node has dispatched would get a snapshot.
                // Snapshots need no wait: they are lined up with the events by their own position (SubscribeSnapshot).
                await catchUp.WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ToHubException(ex) is { } refusal)
            {
                throw refusal;
            }
        }

        var registration = dispatcher.Register(Context.ConnectionId, plan.Spec, request.ResumeAfter);
        if (registration is { OutsideWindow: true } && request.ResumeAfter is { } resumeAfter)
        {
            // Not in this node's memory (a restart, another node): the stored feed may still hold what was missed.
            try
            {
                registration = registration with { Resumed = await storedResume.TryResumeAsync(registration, resumeAfter, cancellationToken) };
            }
            catch (Exception ex)
            {
                dispatcher.Unsubscribe(Context.ConnectionId, registration.Subscription.Id);
                if (ToHubException(ex) is { } refusal)
                {
                    throw refusal;
                }

                throw;
            }
        }

        IReadOnlyList<object?>? documents = null;
        var sequence = registration.Sequence;
        if (request.Snapshot == true || registration.Resumed == false)
        {
            // Read after registering, with the feed position it reflects: the events start right after that position
            // (those at or before it are dropped, those the dispatcher passed before registering are replayed).
            try
            {
                (documents, sequence) = await snapshots.ReadAsync(plan, registration, cancellationToken);
            }
            catch (Exception ex)
            {
                dispatcher.Unsubscribe(Context.ConnectionId, registration.Subscription.Id);
                if (ToHubException(ex) is { } refusal)
                {
                    throw refusal;
                }

                throw;
            }
        }

        activator.ActivateAfterReply(registration.Subscription);
        return new SubscribeResult
        {
            SubscriptionId = registration.Subscription.Id,
            Sequence = sequence,
            Documents = documents,
            Resumed = registration.Resumed,
        };
    }

    /// <remarks>
    /// The argument is bound as any value (a <see cref="JsonElement"/> from the JSON protocol, a plain
    /// value from MessagePack) and checked here: bound as a string, a number or an object failed SignalR's binding, whose
    /// answer ("Failed to invoke 'Unsubscribe' due to an error on the server") names neither a code nor the argument.
    /// </remarks>
    public void Unsubscribe(object? subscriptionId)
    {
        if (subscriptionId is HubBindingFailure.Unreadable unreadable)
        {
            throw new HubException(unreadable.Refusal);
        }

        string? id;
        try
        {
            id = subscriptionId switch
            {
                string text => text,
                JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
                _ => null,
            };
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate has no string form; refused like Subscribe's, not as a server error.
            throw new HubException(SubscribeRequestErrors.LoneSurrogate("subscriptionId"));
        }

        if (id is null)
        {
            throw new HubException(
                $"invalid_request: Unsubscribe needs the subscriptionId string that Subscribe returned (got {KindOf(subscriptionId)}). (at subscriptionId)");
        }

        dispatcher.Unsubscribe(Context.ConnectionId, id);
    }

    private static string KindOf(object? value) => value switch
    {
        null => "null",
        JsonElement { ValueKind: JsonValueKind.Null } => "null",
        JsonElement { ValueKind: JsonValueKind.Number } => "a number",
        JsonElement { ValueKind: JsonValueKind.True or JsonValueKind.False } or bool => "a boolean",
        byte[] => "binary data",
        JsonElement { ValueKind: JsonValueKind.Array } or IList => "an array",
        JsonElement { ValueKind: JsonValueKind.Object } or IDictionary => "an object",
        _ when value.GetType().IsPrimitive || value is decimal => "a number",
        _ => "a value of another type",
    };

    /// <summary>The refusal of a connection whose session (sign-out, disabled, ...) ended.</summary>
    public const string SessionEndedRefusal = "session_ended: The session of this connection's access token has ended; sign in again.";

    // What the client may be told, in REST's codes; null for failures whose text must stay in the server log.
    private static HubException? ToHubException(Exception exception) => exception switch
    {
        DomainException { Field: null } ex => new HubException($"{ex.Code}: {ex.Message}"),
        DomainException ex => new HubException($"{ex.Code}: {ex.Message} (at {ex.Field})"),
        StorageUnavailableException => new HubException("storage_unavailable: The data store is not reachable right now. Try again shortly."),
        QueryTimeoutException timeout => new HubException(
            $"query_timeout: The snapshot query ran past its time budget of {timeout.Timeout.TotalMilliseconds:0} ms and was stopped. "
            + "Narrow the filter, add an index for it, or subscribe without a snapshot."),
        _ => null,
    };
}

/// <summary>
/// Holds a new subscription's events until its <c>Subscribe</c> result is on the wire. SignalR writes an
/// invocation's result and only then disposes the invocation's service scope (DefaultHubDispatcher), so this scoped
/// service's disposal is the first moment events may follow without overtaking the result.
/// </summary>
internal sealed class SubscriptionActivator(RealtimeDispatcher dispatcher) : IDisposable
{
    private Subscription? _subscription;

    public void ActivateAfterReply(Subscription subscription) => _subscription = subscription;

    public void Dispose()
    {
        if (_subscription is { } subscription)
        {
            _subscription = null;
            dispatcher.Activate(subscription);
        }
    }
}
