using Platform.Sdk.Documents;
using Platform.Sdk.Realtime;

namespace Platform.Sdk;

/// <summary>
/// A watch the server has already acknowledged (from <c>SubscribeAsync</c>): enumerate it once for its changes,
/// dispose it to end the subscription. Disposing the client ends it too, like cancellation.
/// </summary>
/// <typeparam name="T">The document type.</typeparam>
public sealed class DocumentWatch<T> : IAsyncEnumerable<DocumentChange<T>>, IAsyncDisposable
{
    private readonly RealtimeSession _session;
    private readonly Watch _watch;
    private readonly DocumentMapper<T> _mapper;
    private int _enumerated;

    internal DocumentWatch(RealtimeSession session, Watch watch, DocumentMapper<T> mapper)
    {
        _session = session;
        _watch = watch;
        _mapper = mapper;
    }

    /// <summary>The changes, in commit order per document; ends with <see cref="OperationCanceledException"/> when cancelled or disposed.</summary>
    /// <param name="cancellationToken">Stops this enumeration (the subscription lasts until the watch is disposed).</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The watch is enumerated a second time.</exception>
    public IAsyncEnumerator<DocumentChange<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A watch can be enumerated once; subscribe again for another reader.");
        }

        return RealtimeExtensions.ReadAsync(_session, _watch, _mapper, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Ends the subscription on the server; a running enumeration ends after the changes it already received.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        _session.Remove(_watch);
        return ValueTask.CompletedTask;
    }
}
