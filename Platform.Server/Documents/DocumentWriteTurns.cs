namespace Platform.Server.Documents;

/// <summary>
/// Makes this node's updates and deletes of one document without If-Match take turns, first come first served. Such a
/// write re-reads and re-plans when another writer got there first; with dozens of them on one document (a counter's
/// <c>$inc</c>), only one of those that read the same version wins each commit, so the others lose round after round,
/// re-planning every time, and on a loaded machine some lost 16 times and answered 409 <c>write_conflict</c>
/// (<c>DocumentEndpointsTests.ConcurrentIncrements_WithoutIfMatch_AreAllApplied</c>). Taking turns instead, each writes
/// against the version the previous one wrote. Writers on other nodes, batches and writes with If-Match keep the
/// optimistic path. Entries live only while someone has entered them.
/// <para>
/// A writer <see cref="Enter">enters</see> before it plans and <see cref="Ticket.TakeAsync">takes</see> the turn only
/// once its plan passed the rules (see <c>DocumentService</c>): a refused request never waits in the queue nor holds the
/// turn, so a flood of unauthorized writes to one document cannot delay an allowed writer. Entering only keeps count of
/// the turns handed on meanwhile: a writer whose plan predates one of them plans again under its turn (two reads), one
/// that finds nobody wrote since plans once.
/// </para>
/// </summary>
internal sealed class DocumentWriteTurns
{
    private readonly Dictionary<(string Collection, string Id), Turn> _turns = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// Enters the queue of the document (<paramref name="collection"/>, <paramref name="id"/>) without waiting; call before
    /// reading the document. Disposing the ticket leaves (and passes the turn on when it was taken).
    /// </summary>
    public Ticket Enter(string collection, string id)
    {
        var key = (collection, id);
        lock (_gate)
        {
            if (!_turns.TryGetValue(key, out var turn))
            {
                turn = new Turn(key);
                _turns[key] = turn;
            }

            turn.Users++;
            return new Ticket(this, turn, turn.Handovers);
        }
    }

    /// <summary>How many writers have entered the queue of the document (<paramref name="collection"/>, <paramref name="id"/>).</summary>
    internal int UsersOf(string collection, string id)
    {
        lock (_gate)
        {
            return _turns.TryGetValue((collection, id), out var turn) ? turn.Users : 0;
        }
    }

    /// <summary>
    /// How many writers of the document wait for its turn now (planned and allowed, not yet holding it): the order in
    /// which they began to wait is the order they get it; tests wait on this, not on <see cref="UsersOf"/>, to know it.
    /// </summary>
    internal int WaitingFor(string collection, string id)
    {
        lock (_gate)
        {
            return _turns.TryGetValue((collection, id), out var turn) ? Volatile.Read(ref turn.Waiting) : 0;
        }
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

    internal sealed class Turn((string, string) key)
    {
        public (string, string) Key { get; } = key;

        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Entrants and holders; changed only under the owner's gate.</summary>
        public int Users { get; set; }

        /// <summary>How often the turn was passed on; changed under the owner's gate.</summary>
        public long Handovers { get; set; }

        /// <summary>Writers inside <see cref="Ticket.TakeAsync"/>; changed with interlocked operations.</summary>
        public int Waiting;
    }

    /// <summary>A writer's place in a document's queue.</summary>
    public sealed class Ticket : IDisposable
    {
        private readonly DocumentWriteTurns _owner;
        private readonly Turn _turn;
        private readonly long _entered;
        private bool _held;
        private int _disposed;

        internal Ticket(DocumentWriteTurns owner, Turn turn, long entered)
        {
            _owner = owner;
            _turn = turn;
            _entered = entered;
        }

        /// <summary>
        /// Waits for the turn; SemaphoreSlim lets asynchronous waiters in the order they came (a release hands the count to
        /// the first). True when another writer held the turn since this one entered, so what it read may be stale.
        /// </summary>
        public async ValueTask<bool> TakeAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _turn.Waiting);
            try
            {
                await _turn.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _turn.Waiting);
            }

            _held = true;
            lock (_owner._gate)
            {
                return _turn.Handovers != _entered;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            if (_held)
            {
                lock (_owner._gate)
                {
                    _turn.Handovers++;
                }

                _turn.Semaphore.Release();
            }

            _owner.Leave(_turn);
        }
    }
}
