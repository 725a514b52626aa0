using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Platform.Sdk.Realtime;

/// <summary>
/// The one hub connection of a <see cref="BaasClient"/>, shared by all its watches. It connects when the first watch
/// starts, reconnects with backoff for as long as watches remain, and on every new connection resubscribes each
/// watch after the last change it buffered (<c>resumeAfter</c>), so a reader sees every change once, in order; when
/// the server no longer has the missed changes the watch gets a reset and a snapshot instead.
/// </summary>
internal sealed class RealtimeSession : IDisposable, IAsyncDisposable
{
    private const string HubPath = "realtime";
    private const string RefusalMarker = "HubException: ";
    private const string FieldMarker = " (at ";

    private readonly Uri _hubUrl;
    private readonly string? _apiKey;
    private readonly BaasRealtimeOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly HashSet<Watch> _watches = [];
    private readonly Dictionary<string, Watch> _bySubscription = new(StringComparer.Ordinal);

    // Changes of a subscription whose Subscribe result has not been handled yet: the client may dispatch the first
    // events before the invocation's continuation runs. Kept only while a Subscribe is on its way.
    private readonly Dictionary<string, List<JsonObject>> _early = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private HubConnection? _connection;
    private int _epoch;
    private int _inFlight;
    private bool _running;
    private Task _run = Task.CompletedTask;

    public RealtimeSession(Uri baseUrl, string? apiKey, BaasRealtimeOptions options, TimeProvider time, Func<CancellationToken, Task<string?>> accessTokenSource)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferCapacity, 1, nameof(options));
        _hubUrl = new Uri(baseUrl, HubPath);
        _apiKey = apiKey;
        _options = options;
        _time = time;
        AccessTokenSource = accessTokenSource;
    }

    /// <summary>
    /// The bearer token for the next (re)connection, or null for none (the service key, if any, is sent instead).
    /// Asked on every connection attempt, so a refreshed token is picked up.
    /// </summary>
    public Func<CancellationToken, Task<string?>> AccessTokenSource { get; set; }

    /// <summary>
    /// Asks the server for a one-use realtime ticket with the given bearer token (null: the client's service key); used
    /// instead of the credential itself when <see cref="UsesTickets"/>.
    /// </summary>
    public Func<string?, CancellationToken, Task<string>>? TicketSource { get; init; }

    /// <summary>Whether connections open with a ticket (<see cref="BaasRealtimeOptions.UseTickets"/>; by default in a browser only).</summary>
    public bool UsesTickets => TicketSource is not null && (_options.UseTickets ?? OperatingSystem.IsBrowser());

    /// <summary>Starts watching; the session subscribes as soon as it is connected.</summary>
    public void Add(Watch watch)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        HubConnection? connection;
        int epoch;
        lock (_gate)
        {
            _watches.Add(watch);
            if (!_running)
            {
                _running = true;
                _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
            }

            connection = _connection;
            epoch = _epoch;
            if (connection is null)
            {
                return;
            }

            BeginSubscribe(watch);
        }

        Forget(SubscribeAsync(watch, connection, epoch));
    }

    /// <summary>Ends a watch: its subscription is dropped on the server.</summary>
    public void Remove(Watch watch)
    {
        string? subscriptionId;
        HubConnection? connection;
        lock (_gate)
        {
            watch.Closed = true;
            _watches.Remove(watch);
            subscriptionId = watch.SubscriptionId;
            watch.SubscriptionId = null;
            if (subscriptionId is not null)
            {
                _bySubscription.Remove(subscriptionId);
            }

            connection = _connection;
        }

        watch.Complete();
        if (subscriptionId is not null && connection is not null)
        {
            Forget(connection.SendAsync("Unsubscribe", subscriptionId, CancellationToken.None));
        }
    }

    /// <summary>The reader of a lagging watch caught up: subscribe again after the last change it holds.</summary>
    public void Resume(Watch watch)
    {
        HubConnection? connection;
        int epoch;
        lock (_gate)
        {
            if (watch.Closed || watch.State != WatchState.Lagging)
            {
                return;
            }

            watch.State = WatchState.Idle;
            connection = _connection;
            epoch = _epoch;
            if (connection is null)
            {
                return;
            }

            BeginSubscribe(watch);
        }

        Forget(SubscribeAsync(watch, connection, epoch));
    }

    /// <summary>
    /// Drops the connection so that the next one authenticates afresh (call it when the signed-in user changes).
    /// Every watch then starts over with a reset and a snapshot, since what the old identity saw may not be what the
    /// new one may see.
    /// </summary>
    public void Reconnect()
    {
        HubConnection? connection;
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                watch.NeedsReset = watch.LastSequence is not null;
            }

            connection = _connection;
        }

        if (connection is not null)
        {
            Forget(connection.StopAsync(CancellationToken.None));
        }
    }

    /// <summary>Ends every watch like <see cref="Dispose"/>, then waits until the connection is closed.</summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        Task run;
        lock (_gate)
        {
            run = _run;
        }

        await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Stops reconnecting and ends every watch the way cancelling it would (its enumeration throws
    /// <see cref="OperationCanceledException"/> after the changes it already buffered); the connection closes in the background.
    /// </summary>
    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        List<Watch> watches;
        lock (_gate)
        {
            watches = [.. _watches];
            _watches.Clear();
        }

        foreach (var watch in watches)
        {
            watch.Complete(new OperationCanceledException("The BaasClient was disposed, which ends its watches."));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (_watches.Count == 0)
                {
                    _running = false;
                    return;
                }
            }

            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var connection = await BuildAsync(closed, cancellationToken).ConfigureAwait(false);
            try
            {
                if (connection is null || !await StartAsync(connection, cancellationToken).ConfigureAwait(false))
                {
                    await DelayAsync(Backoff(failures++), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                failures = 0;
                Connected(connection);
                await closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                if (connection is not null)
                {
                    Disconnected(connection);
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            // Spread the reconnects of many clients after a server restart.
            await DelayAsync(Jitter(_options.ReconnectDelay), cancellationToken).ConfigureAwait(false);
        }
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Any failure to reach the server is retried with backoff; the next attempt reports nothing new.")]
    private async Task<bool> StartAsync(HubConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // Credentials the server refuses will not start working by retrying: end the watches that use them.
            FailAll(new BaasException(
                (int)ex.StatusCode!.Value,
                new JsonObject { ["code"] = ex.StatusCode == HttpStatusCode.Unauthorized ? "unauthenticated" : "forbidden", ["detail"] = "The realtime hub refused the client's credentials." }));
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A token source that fails for any other reason is asked again on the next attempt.")]
    private async Task<HubConnection?> BuildAsync(TaskCompletionSource closed, CancellationToken cancellationToken)
    {
        string? token;
        try
        {
            token = await AccessTokenSource(cancellationToken).ConfigureAwait(false);
        }
        catch (BaasException ex) when (ex.Status is 401 or 403)
        {
            // Signed out, or the refresh token was revoked: retrying cannot help these watches.
            FailAll(ex);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The token could not be refreshed now (e.g. the server is down): try again with backoff.
            return null;
        }

        string? ticket = null;
        if (UsesTickets && (token is not null || _apiKey is not null))
        {
            try
            {
                ticket = await TicketSource!(token, cancellationToken).ConfigureAwait(false);
            }
            catch (BaasException ex) when (ex.Status is 401 or 403)
            {
                // The credential itself was refused, as the hub would refuse it: retrying cannot help these watches.
                FailAll(ex);
                return null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        var builder = new HubConnectionBuilder().WithUrl(_hubUrl, http =>
        {
            if (ticket is not null)
            {
                // One ticket opens one websocket: no negotiate request and no fallback transport, each of which would
                // need a credential of its own. The browser puts it in the URL, where a spent ticket is worth nothing.
                http.SkipNegotiation = true;
                http.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                http.AccessTokenProvider = () => Task.FromResult<string?>(ticket);
            }
            else if (token is not null)
            {
                http.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }
            else if (_apiKey is not null)
            {
                http.Headers["X-Api-Key"] = _apiKey;
            }
        });
        _options.ConfigureConnection?.Invoke(builder);
        var connection = builder.Build();
        connection.On("change", [typeof(object)], args =>
        {
            OnChange(connection, args[0]);
            return Task.CompletedTask;
        });

        // The server closes the connection right after a resync; resubscribing after that handles it.
        connection.On("resync", [typeof(object)], args =>
        {
            OnResync(connection, args[0]);
            return Task.CompletedTask;
        });
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        return connection;
    }

    private void Connected(HubConnection connection)
    {
        List<Watch> idle;
        int epoch;
        lock (_gate)
        {
            _connection = connection;
            epoch = ++_epoch;
            idle = [.. _watches.Where(w => w.State == WatchState.Idle)];
            foreach (var watch in idle)
            {
                BeginSubscribe(watch);
            }
        }

        foreach (var watch in idle)
        {
            Forget(SubscribeAsync(watch, connection, epoch));
        }
    }

    private void Disconnected(HubConnection connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection))
            {
                return;
            }

            _connection = null;
            _epoch++;
            _inFlight = 0;
            _bySubscription.Clear();
            _early.Clear();
            foreach (var watch in _watches)
            {
                watch.SubscriptionId = null;
                if (watch.State != WatchState.Lagging)
                {
                    watch.State = WatchState.Idle;
                }
            }
        }
    }

    // Under the lock.
    private void BeginSubscribe(Watch watch)
    {
        watch.State = WatchState.Subscribing;
        _inFlight++;
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A failed Subscribe either ends the watch (a refusal) or is retried; nothing is lost by catching all.")]
    private async Task SubscribeAsync(Watch watch, HubConnection connection, int epoch)
    {
        object? answer = null;
        Exception? error = null;
        try
        {
            answer = await connection.InvokeCoreAsync("Subscribe", typeof(object), [watch.BuildRequest()], _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        string? unwanted = null;
        var retry = false;
        var again = false;
        lock (_gate)
        {
            if (epoch != _epoch)
            {
                // The connection dropped meanwhile; the next one subscribes the watch again.
                return;
            }

            _inFlight--;
            if (error is not null)
            {
                watch.State = WatchState.Idle;
                if (Refusal(error) is { } refusal)
                {
                    Fail(watch, refusal);
                }
                else
                {
                    retry = !watch.Closed && !_stopping.IsCancellationRequested;
                }
            }
            else
            {
                try
                {
                    unwanted = Subscribed(watch, HubValues.ToNode(answer) as JsonObject);
                    if (unwanted is not null && !watch.Closed && watch.State == WatchState.Subscribing)
                    {
                        // Outdated by a resync while on its way: subscribe again as the watch now needs.
                        again = true;
                    }
                }
                catch (FormatException ex)
                {
                    Fail(watch, new BaasException("The realtime hub answered Subscribe with something unexpected: " + ex.Message, ex));
                }
            }

            if (_inFlight == 0)
            {
                _early.Clear();
            }
        }

        if (unwanted is not null)
        {
            await connection.SendAsync("Unsubscribe", unwanted, CancellationToken.None).ConfigureAwait(false);
        }

        if (again)
        {
            lock (_gate)
            {
                if (watch.Closed || epoch != _epoch)
                {
                    return;
                }

                _inFlight++;
            }

            await SubscribeAsync(watch, connection, epoch).ConfigureAwait(false);
            return;
        }

        if (retry)
        {
            await DelayAsync(Jitter(_options.ReconnectDelay), _stopping.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (watch.Closed || watch.State != WatchState.Idle || epoch != _epoch)
                {
                    return;
                }

                BeginSubscribe(watch);
            }

            await SubscribeAsync(watch, connection, epoch).ConfigureAwait(false);
        }
    }

    // Under the lock. Returns a subscription to drop when the watch ended meanwhile.
    private string? Subscribed(Watch watch, JsonObject? result)
    {
        var subscriptionId = Text(result, "subscriptionId") ?? throw new FormatException("no subscriptionId");
        var sequence = Text(result, "sequence") ?? throw new FormatException("no sequence");
        if (watch.Closed || watch.State != WatchState.Subscribing || (watch.NeedsReset && !watch.RequestedReset))
        {
            return subscriptionId;
        }

        var documents = result!["documents"] is JsonArray array ? array.OfType<JsonObject>() : [];
        var resumed = result["resumed"] is JsonValue flag && flag.TryGetValue<bool>(out var value) ? value : (bool?)null;
        if (watch.LastSequence is null)
        {
            watch.AddSnapshot(documents, sequence, reset: false);
        }
        else if (resumed == false || watch.NeedsReset)
        {
            watch.AddSnapshot(documents, sequence, reset: true);
        }

        watch.State = WatchState.Subscribed;
        watch.SubscriptionId = subscriptionId;
        watch.Live.TrySetResult();
        _bySubscription[subscriptionId] = watch;
        if (_early.Remove(subscriptionId, out var early))
        {
            foreach (var change in early)
            {
                Deliver(watch, change);
            }
        }

        return null;
    }

    /// <summary>
    /// After an overflow, or when the node is shutting down (<c>shutdown</c>: reconnect, to another node), the missed
    /// changes can still be replayed. After anything else (<c>rules_changed</c>, <c>history_lost</c>) what the reader
    /// holds may be wrong, e.g. documents the new rules hide: start over.
    /// </summary>
    private void OnResync(HubConnection connection, object? payload)
    {
        var reason = Text(HubValues.ToNode(payload) as JsonObject, "reason");
        if (reason is "overflow" or "shutdown")
        {
            return;
        }

        var again = new List<Watch>();
        var unwanted = new List<string>();
        HubConnection? current;
        int epoch;
        lock (_gate)
        {
            current = _connection;
            epoch = _epoch;
            foreach (var watch in _watches)
            {
                watch.NeedsReset = watch.LastSequence is not null;

                // The resync may be handled after the client already resumed on a new connection: start over there.
                if (watch.NeedsReset && current is not null && !ReferenceEquals(connection, current) && watch.State == WatchState.Subscribed)
                {
                    unwanted.Add(watch.SubscriptionId!);
                    _bySubscription.Remove(watch.SubscriptionId!);
                    watch.SubscriptionId = null;
                    BeginSubscribe(watch);
                    again.Add(watch);
                }
            }
        }

        foreach (var subscriptionId in unwanted)
        {
            Forget(current!.SendAsync("Unsubscribe", subscriptionId, CancellationToken.None));
        }

        foreach (var watch in again)
        {
            Forget(SubscribeAsync(watch, current!, epoch));
        }
    }

    private void OnChange(HubConnection connection, object? payload)
    {
        if (HubValues.ToNode(payload) is not JsonObject change || Text(change, "subscriptionId") is not { } subscriptionId)
        {
            return;
        }

        string? lagging = null;
        lock (_gate)
        {
            if (!ReferenceEquals(connection, _connection))
            {
                return;
            }

            if (!_bySubscription.TryGetValue(subscriptionId, out var watch))
            {
                if (_inFlight > 0)
                {
                    if (!_early.TryGetValue(subscriptionId, out var list))
                    {
                        list = [];
                        _early.Add(subscriptionId, list);
                    }

                    list.Add(change);
                }

                return;
            }

            if (!Deliver(watch, change))
            {
                lagging = subscriptionId;
            }
        }

        if (lagging is not null)
        {
            Forget(connection.SendAsync("Unsubscribe", lagging, CancellationToken.None));
        }
    }

    // Under the lock. False when the watch's buffer is full and the watch was unsubscribed.
    private bool Deliver(Watch watch, JsonObject change)
    {
        if (watch.State != WatchState.Subscribed)
        {
            return true;
        }

        WatchItemKind? kind = Text(change, "type") switch
        {
            "added" => WatchItemKind.Added,
            "modified" => WatchItemKind.Modified,
            "removed" => WatchItemKind.Removed,
            _ => null,
        };
        if (kind is null || Text(change, "id") is not { } id || Text(change, "sequence") is not { } sequence)
        {
            return true;
        }

        if (watch.LiveCount >= _options.BufferCapacity)
        {
            // Block nothing (the connection serves every watch) and hold nothing more: resume once the reader catches up.
            watch.State = WatchState.Lagging;
            _bySubscription.Remove(watch.SubscriptionId!);
            watch.SubscriptionId = null;
            watch.AddLaggedMarker();
            return false;
        }

        watch.TryAddLive(kind.Value, id, change["document"] as JsonObject, sequence);
        return true;
    }

    private void FailAll(BaasException error)
    {
        lock (_gate)
        {
            foreach (var watch in _watches.ToList())
            {
                Fail(watch, error);
            }
        }
    }

    // Under the lock.
    private void Fail(Watch watch, BaasException error)
    {
        watch.Closed = true;
        if (watch.SubscriptionId is { } subscriptionId)
        {
            _bySubscription.Remove(subscriptionId);
            watch.SubscriptionId = null;
        }

        _watches.Remove(watch);
        watch.Complete(error);
    }

    /// <summary>The server's refusal (<c>"code: detail"</c>) as a <see cref="BaasException"/>; null for failures worth retrying.</summary>
    internal static BaasException? Refusal(Exception error)
    {
        if (error is not HubException)
        {
            return null;
        }

        var at = error.Message.IndexOf(RefusalMarker, StringComparison.Ordinal);
        var text = at >= 0 ? error.Message[(at + RefusalMarker.Length)..] : error.Message;
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0 || !text[..colon].All(c => c is (>= 'a' and <= 'z') or '_'))
        {
            return null;
        }

        var code = text[..colon];
        // The REST statuses of the same codes (docs/errors.md). A node's momentary condition (closing, full, its store
        // not answering, every query place taken) is retried, not the end of the watch.
        var status = code switch
        {
            "unavailable" or "too_many_connections" or "storage_unavailable" or "server_busy" => 0,
            "unauthenticated" or "session_ended" => 401,
            "forbidden" => 403,
            "collection_not_found" or "not_found" => 404,
            "too_many_subscriptions" => 429,
            "snapshot_too_large" or "query_timeout" => 422,
            _ => 400,
        };
        if (status == 0)
        {
            return null;
        }

        // The hub names the member or filter path at fault at the end of the detail, "(at filter.n)", as REST puts it in
        // the problem's "field": the exception carries it the same way.
        var detail = text[(colon + 2)..];
        var problem = new JsonObject { ["code"] = code, ["detail"] = detail };
        var field = detail.LastIndexOf(FieldMarker, StringComparison.Ordinal);
        if (field >= 0 && detail.EndsWith(')') && field + FieldMarker.Length < detail.Length - 1)
        {
            problem["field"] = detail[(field + FieldMarker.Length)..^1];
        }

        return new BaasException(status, problem);
    }

    private static string? Text(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Jitter spreads reconnects; it protects nothing.")]
    private static TimeSpan Jitter(TimeSpan delay) => delay * Random.Shared.NextDouble();

    private TimeSpan Backoff(int failures)
    {
        var delay = _options.ReconnectDelay * Math.Pow(2, Math.Min(failures, 20));
        return Jitter(delay > _options.MaxReconnectDelay ? _options.MaxReconnectDelay : delay) + (_options.ReconnectDelay / 2);
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Forget(Task task) => task.ContinueWith(
        static t => _ = t.Exception,
        CancellationToken.None,
        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
        TaskScheduler.Default);
}
