using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Realtime;

/// <summary><c>Baas:Realtime</c>: limits of the realtime hub (docs/realtime.md). Everything a client can make the server hold is bounded here.</summary>
public sealed class RealtimeOptions
{
    public const string Section = "Baas:Realtime";

    /// <summary>
    /// Messages waiting to be sent to one connection. A client that falls this far behind is sent <c>resync</c>
    /// and disconnected, so a slow reader never makes the server buffer without bound.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SendQueueCapacity { get; set; } = 1000;

    /// <summary>Live subscriptions on one connection.</summary>
    [Range(1, 10_000)]
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>Connections this node accepts at once; 0 = no limit.</summary>
    [Range(0, 10_000_000)]
    public int MaxConnections { get; set; }

    /// <summary>
    /// Connections this node accepts at once from one client address (the address the rate limiter uses, see
    /// docs/deployment.md for proxies); 0 = no limit. One client then cannot take the node's whole matching budget.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxConnectionsPerClient { get; set; } = 20;

    /// <summary>
    /// Most matching cost (<see cref="FilterCost"/>) one subscription's filter, the caller's list rule included, may
    /// have; a costlier one is refused (<c>filter_too_costly</c>).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxFilterCost { get; set; } = 400;

    /// <summary>
    /// Most matching cost all the subscriptions of one connection may have together; a subscription beyond it is
    /// refused (<c>connection_cost_exceeded</c>). This bounds the work one connection costs per change.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxConnectionFilterCost { get; set; } = 2000;

    /// <summary>
    /// Weighted matching cost (docs/realtime.md, "Matching cost": a connection's filter costs on the change's
    /// collection, string scans multiplied by the document's size in KiB) above which one change is matched for one
    /// connection on the node's background matcher: one low-priority thread shared by all such connections, so that
    /// cheap subscriptions are matched and delivered at once and never wait behind costly ones.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int CostlyMatchThreshold { get; set; } = 1000;

    /// <summary>
    /// Weighted matching cost one client address may spend on the background matcher per second. A connection whose
    /// next costly match would exceed it is sent <c>resync</c> (reason <c>match_budget_exceeded</c>) and closed;
    /// connections of the address whose matches are cheap are not affected. 0 = no budget.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MatchBudgetPerClient { get; set; } = 5_000_000;

    /// <summary>
    /// On SIGTERM, how long the node waits for its realtime clients to receive <c>resync</c> (reason <c>shutdown</c>)
    /// before their connections close. Default 2 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ShutdownNoticeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most documents an initial snapshot returns; a larger result is refused (<c>snapshot_too_large</c>).</summary>
    [Range(1, 100_000)]
    public int SnapshotLimit { get; set; } = 1000;

    /// <summary>
    /// How many recent changes the node keeps in memory for <c>resumeAfter</c>; a position older than these is resumed
    /// from the stored change feed (<see cref="StoredResumeMaxChanges"/>). Default 100, not 1,000: every change passes
    /// through the window, even with no subscriber, and at thousands of writes a second 1,000 changes (their document
    /// trees) live just long enough to survive a gen0 collection and die in gen1, which made gen1 collections, the
    /// server's longest pauses, frequent (issue 13, item 2; bench/README.md, h/tail).
    /// </summary>
    [Range(0, 1_000_000)]
    public int ReplayEvents { get; set; } = 100;

    /// <summary>
    /// Estimated memory the replay window may hold (documents before and after each change, and their copies for
    /// the wire); the oldest changes are dropped beyond it, whatever <see cref="ReplayEvents"/> says.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long ReplayMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How old a change may be and still be replayed for <c>resumeAfter</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>After an overflow, how long the server waits for the client to take the <c>resync</c> message before it drops the connection anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ResyncTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the node checks whether the rules behind its subscriptions changed; connections holding a
    /// subscription made under an outdated rule are sent <c>resync</c> and closed. Definitions are cached for
    /// <c>Baas:Collections:DefinitionCacheTime</c>, which adds to this on other nodes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RuleCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait before reading the change feed again after a store error; doubles per failure up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Most changes a <c>resumeAfter</c> may read from the stored change feed (the SQLite change log, the MongoDB
    /// change stream) when its position is no longer in this node's replay window: after a node restart, or on
    /// another node. Beyond it the client gets a snapshot instead. 0 turns resuming from the stored feed off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int StoredResumeMaxChanges { get; set; } = 10_000;

    /// <summary>How long a resume from the stored feed may read before the client gets a snapshot instead.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan StoredResumeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a <c>Subscribe</c> with <c>resumeAfter</c> waits for this node's change feed reader to reach what the
    /// store has committed, so that a position from a node that was ahead of this one resumes instead of getting a
    /// snapshot (other subscriptions never wait: a snapshot is exact either way, <see cref="SubscribeSnapshot"/>). Usually
    /// no wait at all; past it (the reader failing or far behind) the subscription starts where the reader is, and the
    /// wait is logged. 0 = do not wait. SQLite only: MongoDB's position is a mark only a later write passes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SubscribeCatchUpTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether the hub writes to a websocket connection's socket directly, on the thread that sends (the change
    /// dispatcher's, for a fan-out), instead of through SignalR's output pipe and the websocket transport's send loop
    /// (one more thread-pool wake-up per message and connection). What clients receive is the same; server-sent events
    /// and long polling always take SignalR's path. Default true: alone it measured the same CPU per recipient as SignalR's
    /// path (bench/README.md, round 3), but with <see cref="SocketSends"/> the dispatcher's thread writes each frame to the
    /// socket and nothing else runs per recipient (bench/README.md, h/rt-raw: 14-19 µs against 20-25 µs at 5,000).
    /// </summary>
    public bool DirectWebSocketSends { get; set; } = true;

    /// <summary>
    /// Whether a plain-HTTP websocket connection writes its frames to its socket itself, with one non-blocking send on the
    /// writing thread, instead of through Kestrel's output pipe and socket queue (<see cref="SocketOutputStream"/>). Every
    /// byte after the handshake takes that path, in order; what the socket does not take at once waits in the connection's
    /// own queue, bounded as Kestrel's output is (<c>Kestrel:Limits:MaxResponseBufferSize</c>), so a slow reader meets the
    /// same <see cref="SendQueueCapacity"/> and <c>resync</c> as before. TLS and HTTP/2 connections keep Kestrel's path.
    /// Works with or without <see cref="DirectWebSocketSends"/>. Default true (docs/realtime.md, "Scaling"; bench/README.md,
    /// h/rt-raw).
    /// </summary>
    public bool SocketSends { get; set; } = true;

    /// <summary>
    /// How long a ticket from <c>POST /api/realtime/ticket</c> can open a connection (docs/realtime.md, "Tickets"): a
    /// browser asks for one just before it connects, so seconds are enough. Nodes add the 30 s clock tolerance of access
    /// tokens. Default 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between attempts to read the change feed after store errors.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="RealtimeOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class RealtimeOptionsValidator : IValidateOptions<RealtimeOptions>;
