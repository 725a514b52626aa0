using System.Runtime.Serialization;

namespace Platform.Server.Realtime;

// The hub's payloads (docs/realtime.md). [DataMember] names give MessagePack the same camelCase keys that the
// JSON protocol's naming policy gives JSON; both protocols then carry one shape.

/// <summary>The argument of <c>Subscribe</c>.</summary>
[DataContract]
public sealed class SubscribeRequest
{
    /// <summary>The collection to watch.</summary>
    [DataMember(Name = "collection")]
    public string? Collection { get; set; }

    /// <summary>A filter in the query language (an object), or null for every document.</summary>
    [DataMember(Name = "filter")]
    public object? Filter { get; set; }

    /// <summary>Watch one document by id instead of a query (the filter, if any, still applies).</summary>
    [DataMember(Name = "id")]
    public string? Id { get; set; }

    /// <summary>Return the current matching documents with the result.</summary>
    [DataMember(Name = "snapshot")]
    public bool? Snapshot { get; set; }

    /// <summary>A sequence seen earlier: replay what was missed after it, if the node still has it.</summary>
    [DataMember(Name = "resumeAfter")]
    public string? ResumeAfter { get; set; }

    /// <summary>
    /// Set by <see cref="SubscribeRequestJsonConverter"/> and <see cref="SubscribeRequestMessagePackFormatter"/> when a member
    /// has the wrong type, is unknown or is repeated, and by <see cref="HubBindingFailure"/> when the call's arguments
    /// could not be bound:
    /// the hub refuses the request with this <c>"code: detail (at member)"</c> text. Never on the wire.
    /// </summary>
    [IgnoreDataMember]
    [System.Text.Json.Serialization.JsonIgnore]
    public string? BindingError { get; set; }
}

/// <summary>What <c>Subscribe</c> returns.</summary>
[DataContract]
public sealed class SubscribeResult
{
    [DataMember(Name = "subscriptionId")]
    public string SubscriptionId { get; set; } = "";

    /// <summary>The feed position the subscription starts after: its events follow it without a gap.</summary>
    [DataMember(Name = "sequence")]
    public string Sequence { get; set; } = "";

    /// <summary>The snapshot (snapshot = true, or a resume that could not be served), else null.</summary>
    [DataMember(Name = "documents")]
    public IReadOnlyList<object?>? Documents { get; init; }

    /// <summary>For a <c>resumeAfter</c> request: true when the missed events follow, false when <see cref="Documents"/> replaces them.</summary>
    [DataMember(Name = "resumed")]
    public bool? Resumed { get; set; }
}

/// <summary>The <c>change</c> event.</summary>
[DataContract]
public sealed class ChangeEvent
{
    [DataMember(Name = "subscriptionId")]
    public string SubscriptionId { get; set; } = "";

    /// <summary><c>added</c>, <c>modified</c> or <c>removed</c>.</summary>
    [DataMember(Name = "type")]
    public string Type { get; set; } = "";

    [DataMember(Name = "id")]
    public string Id { get; set; } = "";

    /// <summary>The document after the change; for <c>removed</c> its last visible state, or null when unknown.</summary>
    [DataMember(Name = "document")]
    public object? Document { get; set; }

    [DataMember(Name = "sequence")]
    public string Sequence { get; set; } = "";
}

/// <summary>The <c>resync</c> event: the server is about to close the connection; subscribe again.</summary>
[DataContract]
public sealed class ResyncEvent
{
    [DataMember(Name = "reason")]
    public string Reason { get; set; } = "";
}

/// <summary>Names of the hub's events and of the change types.</summary>
public static class RealtimeEvents
{
    public const string Change = "change";
    public const string Resync = "resync";
    public const string Added = "added";
    public const string Modified = "modified";
    public const string Removed = "removed";
}
