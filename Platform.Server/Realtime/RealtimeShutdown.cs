using Microsoft.Extensions.Options;

namespace Platform.Server.Realtime;

/// <summary>
/// Tells realtime clients to reconnect when the host starts stopping (SIGTERM): every connection is sent <c>resync</c>
/// with reason <c>shutdown</c> and closed (<see cref="RealtimeDispatcher.DrainForShutdown"/>), waiting at most
/// <c>Baas:Realtime:ShutdownNoticeTimeout</c> for the messages to go out.
/// </summary>
/// <remarks>
/// SignalR's connection manager closes every connection, without a word, from its own <c>ApplicationStopping</c>
/// callback, registered when it is created at the first connection. Cancellation callbacks run last-registered first,
/// so this registers at the first connection too, after it, and so runs before it.
/// </remarks>
internal sealed class RealtimeShutdown(IHostApplicationLifetime lifetime, RealtimeDispatcher dispatcher, IOptions<RealtimeOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenRegistration? _registration;

    /// <summary>Called for every connection; registers the callback once.</summary>
    public void EnsureRegistered()
    {
        if (_registration is not null)
        {
            return;
        }

        lock (_gate)
        {
            _registration ??= lifetime.ApplicationStopping.Register(Drain);
        }
    }

    private void Drain()
    {
        var workers = dispatcher.DrainForShutdown();
        try
        {
            Task.WaitAll([.. workers], options.Value.ShutdownNoticeTimeout);
        }
        catch (AggregateException)
        {
            // A worker that failed has logged it and aborted its connection already.
        }
    }

    public void Dispose() => _registration?.Dispose();
}
