using System.Text.Json.Nodes;
using Platform.Server.Rules;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>What a subscription watches: a collection, and which of its documents the caller sees.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="DocumentId">The watched document for an id subscription, else null.</param>
/// <param name="Visible">Filter ∧ rule: true when the caller sees this state of a document. Called under the dispatcher's lock only.</param>
/// <param name="Rule">The rule operation the subscription is bound by, or null for privileged callers.</param>
/// <param name="RuleText">That rule's text when the subscription started, to notice when it changes.</param>
internal sealed record SubscriptionSpec(string Collection, string? DocumentId, Func<JsonObject, bool> Visible, RuleOperation? Rule = null, string? RuleText = null);

/// <summary>
/// One live subscription. Its state is guarded by the dispatcher's lock; <see cref="Removed"/> is also read by
/// the connection's sender, which skips events of subscriptions ended meanwhile.
/// </summary>
internal sealed class Subscription(string id, RealtimeConnection connection, SubscriptionSpec spec)
{
    private volatile bool _removed;

    public string Id { get; } = id;

    public RealtimeConnection Connection { get; } = connection;

    public SubscriptionSpec Spec { get; } = spec;

    /// <summary>Events held back until the <c>Subscribe</c> result has been written; null once active.</summary>
    public List<OutgoingMessage>? Pending { get; set; } = [];

    public bool Removed
    {
        get => _removed;
        set => _removed = value;
    }

    /// <summary>The event this change means for this subscription, or null when the caller sees it neither before nor after.</summary>
    public ChangeEvent? Evaluate(DispatchedChange dispatched)
    {
        var change = dispatched.Change;

        // An id subscription sees one document of the collection: skip the filter and rule for all the others.
        if (Spec.DocumentId is { } watched && !string.Equals(watched, change.Id, StringComparison.Ordinal))
        {
            return null;
        }

        // A provider may lose the before-image; a delete then still ends what the client may hold (only the id
        // is revealed), while a replace is judged by its after-image alone.
        var before = change.Before is { } previous ? Spec.Visible(previous) : change.Kind == ChangeKind.Delete;
        var after = change.After is { } current && Spec.Visible(current);
        var (type, document) = (before, after) switch
        {
            (false, true) => (RealtimeEvents.Added, dispatched.AfterPayload),
            (true, true) => (RealtimeEvents.Modified, dispatched.AfterPayload),
            (true, false) => (RealtimeEvents.Removed, dispatched.BeforePayload),
            _ => (null, null),
        };
        return type is null
            ? null
            : new ChangeEvent { SubscriptionId = Id, Type = type, Id = change.Id, Document = document, Sequence = change.Sequence };
    }
}

/// <summary>A change as the dispatcher holds it: the payloads are converted once, on first use, and shared by every recipient.</summary>
internal sealed class DispatchedChange(StoredChange change)
{
    private Dictionary<string, object?>? _before;
    private Dictionary<string, object?>? _after;

    public StoredChange Change { get; } = change;

    public Dictionary<string, object?>? BeforePayload => Change.Before is null ? null : _before ??= PayloadValues.FromDocument(Change.Before);

    public Dictionary<string, object?>? AfterPayload => Change.After is null ? null : _after ??= PayloadValues.FromDocument(Change.After);
}

/// <summary>A message waiting in a connection's queue; <see cref="Subscription"/> is null for connection-wide ones.</summary>
internal sealed record OutgoingMessage(string Method, object Payload, Subscription? Subscription);
