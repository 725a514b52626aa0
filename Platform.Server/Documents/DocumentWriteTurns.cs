namespace Platform.Server.Documents;

/// <summary>
/// Makes this node's updates and deletes of one document without If-Match take turns, first come first served. Such a
/// write re-reads and re-plans when another writer got there first; with dozens of them on one document (a counter's
/// <c>$inc</c>), only one of those that read the same version wins each commit, so the others lose round after round,
/// re-planning every time, and on a loaded machine some lost 16 times and answered 409 <c>write_conflict</c>
/// (<c>DocumentEndpointsTests.ConcurrentIncrements_WithoutIfMatch_AreAllApplied</c>). Waiting for the turn instead, each
/// reads the version the previous one wrote and plans once. Writers on other nodes, batches and writes with If-Match
/// keep the optimistic path. Entries live only while someone holds or waits for the turn.
/// </summary>
internal sealed class DocumentWriteTurns
{
    private readonly Dictionary<(string Collection, string Id), Turn> _turns = [];
    private readonly Lock _gate = new();

    /// <summary>Waits for the turn of the document (<paramref name="collection"/>, <paramref name="id"/>); disposing the answer passes it on.</summary>
    public async ValueTask<IDisposable> TakeAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var key = (collection, id);
        Turn turn;
        lock (_gate)
        {
            if (!_turns.TryGetValue(key, out turn!))
            {
                turn = new Turn(this, key);
                _turns[key] = turn;
            }

            turn.Users++;
        }

        try
        {
            // SemaphoreSlim lets asynchronous waiters in the order they came.
            await turn.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(turn);
            throw;
        }

        return new Held(turn);
    }

    private void Leave(Turn turn)
    {
        lock (_gate)
        {
            if (--turn.Users == 0)
            {
                _turns.Remove(turn.Key);
            }
        }
    }

    private sealed class Turn(DocumentWriteTurns owner, (string, string) key)
    {
        public (string, string) Key { get; } = key;

        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Holders and waiters; changed only under the owner's gate.</summary>
        public int Users { get; set; }

        public void Release()
        {
            Semaphore.Release();
            owner.Leave(this);
        }
    }

    private sealed class Held(Turn turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }
}
